/**
 * HTTP draining pieces shared by the Hono middleware and the serve helper (web-standard APIs
 * only): a counter of requests in flight (a streaming response counts until its body ends), and
 * the 503 answer for requests that arrive while draining.
 */

/** Counts requests in flight; `idle()` resolves when none are left. */
export class InFlight {
  #count = 0;
  readonly #waiters = new Set<() => void>();

  get count(): number {
    return this.#count;
  }

  /** One more request; call the returned function (once; later calls are ignored) when it is done. */
  enter(): () => void {
    this.#count++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#count--;
      if (this.#count === 0) for (const wake of this.#waiters) wake();
    };
  }

  /** Resolves when no request is in flight, or when `signal` fires (whichever is first). */
  idle(signal?: AbortSignal): Promise<void> {
    if (this.#count === 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

/** The answer while draining: 503, `Connection: close` and `Retry-After` (seconds). */
export function refusal(retryAfter: number): Response {
  return new Response("Service Unavailable: shutting down\n", {
    status: 503,
    headers: {
      connection: "close",
      "retry-after": String(retryAfter),
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-store",
    },
  });
}

/**
 * A response whose body keeps streaming after the handler returned: server-sent events, or a
 * chunked body (what Hono's stream helpers produce). Other bodies are sent at once by the server.
 */
export function isStreaming(response: Response): boolean {
  const type = response.headers.get("content-type") ?? "";
  const encoding = response.headers.get("transfer-encoding") ?? "";
  if (!type.startsWith("text/event-stream") && !encoding.toLowerCase().includes("chunked")) return false;
  // Only now: reading .body turns a string body into a stream, and servers then lose their
  // fast path for it (Deno sends it chunked instead of with Content-Length).
  return response.body !== null;
}

/**
 * Call `done` when `response` is finished with: at once for a plain response, or when a streaming
 * body ends, fails or is cancelled by the client (the body is wrapped to observe that).
 */
export function trackResponse(response: Response, done: () => void): Response {
  if (!isStreaming(response)) {
    done();
    return response;
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          controller.close();
          done();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        controller.error(error);
        done();
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** Validate a Retry-After value in seconds (an integer >= 0). */
export function retryAfterOption(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 86_400) {
    const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
    const error = typeof value === "number" ? RangeError : TypeError;
    throw new error(`mpms: option "retryAfter" must be an integer number of seconds from 0 to 86400, got ${shown}`);
  }
  return value;
}
