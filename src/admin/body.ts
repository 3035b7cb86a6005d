/**
 * Request bodies of the control routes, read with a byte limit while they stream in: a body past
 * the limit (declared, or chunked without a length) stops the read at the limit, so it is never
 * buffered whole, and the answer is 413.
 */

/** The body did not fit: past `limit` bytes, or not UTF-8. */
export interface BodyRefusal {
  status: 400 | 413;
  error: string;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function tooLarge(limit: number): BodyRefusal {
  return { status: 413, error: `body too large (max ${limit} bytes)` };
}

/** True if the request says it has a body (a length above 0, or a transfer coding). */
export function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  if (length !== null && length.trim() !== "0") return true;
  return request.headers.has("transfer-encoding");
}

/** Reads `request`'s body as text, at most `limit` bytes of it. */
export async function readBodyText(request: Request, limit: number): Promise<string | BodyRefusal> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return tooLarge(limit);
  const body = request.body;
  if (body === null) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        // stop reading here; the response asks the client to close the connection
        reader.cancel().catch(() => {});
        return tooLarge(limit);
      }
      chunks.push(value);
    }
  } catch {
    return { status: 400, error: "the body could not be read (connection closed?)" };
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return decoder.decode(bytes);
  } catch {
    return { status: 400, error: "body is not valid UTF-8" };
  }
}
