/**
 * HTTP draining pieces shared by the Hono middleware and the serve helper (web-standard APIs
 * only): a counter of requests in flight (a streaming response counts until its body ends), and
 * the 503 answer for requests that arrive while draining.
 */

/**
 * Counts requests in flight. `idle()` waits for the requests in flight when it is called, not for
 * ones arriving later: under steady traffic the count may never reach zero, and the server
 * closes (or refuses) the late ones anyway.
 */
export class InFlight {
  #nextId = 0;
  readonly #active = new Set<number>();
  readonly #waiters = new Set<{ lastId: number; remaining: number; wake: () => void }>();

  get count(): number {
    return this.#active.size;
  }

  /** One more request; call the returned function (once; later calls are ignored) when it is done. */
  enter(): () => void {
    const id = this.#nextId++;
    this.#active.add(id);
    return () => {
      if (!this.#active.delete(id)) return;
      for (const waiter of this.#waiters) {
        if (id <= waiter.lastId && --waiter.remaining === 0) waiter.wake();
      }
    };
  }

  /** Resolves when every request in flight now is done, or when `signal` fires (whichever is first). */
  idle(signal?: AbortSignal): Promise<void> {
    if (this.#active.size === 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        lastId: this.#nextId - 1,
        remaining: this.#active.size,
        wake: (): void => {
          this.#waiters.delete(waiter);
          signal?.removeEventListener("abort", waiter.wake);
          resolve();
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener("abort", waiter.wake, { once: true });
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
