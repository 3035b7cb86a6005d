/** Raw HTTP/1.1 over node:net, for what fetch() will not send: a forged Host, slow headers, endless chunked bodies. */
import { connect, type Socket } from "node:net";

export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  readonly received: string;
  /** Resolves when the server closes the connection (or it errors), with ms since connecting. */
  closed: Promise<number>;
  /** Resolves once `received` matches `pattern`, or rejects after `timeout` ms. */
  waitFor(pattern: RegExp, timeout: number): Promise<string>;
  /** Resolves true if the server closed the connection within `timeout` ms. */
  closesWithin(timeout: number): Promise<boolean>;
  destroy(): void;
}

/** Opens a connection to 127.0.0.1:`port`; resolves once connected. */
export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const started = performance.now();
    let received = "";
    const listeners = new Set<() => void>();
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      for (const listener of listeners) listener();
    });
    const closed = new Promise<number>((done) => socket.once("close", () => done(performance.now() - started)));
    socket.on("error", () => {}); // a reset is a close, seen through `closed`
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve({
        socket,
        get received() {
          return received;
        },
        closed,
        waitFor(pattern, timeout) {
          return new Promise((done, fail) => {
            const check = (): void => {
              if (!pattern.test(received)) return;
              cleanup();
              done(received);
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(new Error(`no ${pattern} within ${timeout} ms; got ${JSON.stringify(received.slice(0, 200))}`));
            }, timeout);
            const cleanup = (): void => {
              clearTimeout(timer);
              listeners.delete(check);
            };
            listeners.add(check);
            check();
          });
        },
        closesWithin(timeout) {
          return new Promise((done) => {
            const timer = setTimeout(() => done(false), timeout);
            void closed.then(() => {
              clearTimeout(timer);
              done(true);
            });
          });
        },
        destroy: () => socket.destroy(),
      });
    });
    socket.once("error", reject);
  });
}

/** One request on a fresh connection (`Connection: close`); resolves with the status and body. */
export async function rawRequest(
  port: number,
  head: string,
  timeout = 5_000,
): Promise<{ status: number; body: string; text: string }> {
  const conn = await rawConnect(port);
  try {
    conn.socket.write(`${head.replace(/\r?\n/g, "\r\n").trimEnd()}\r\nConnection: close\r\n\r\n`);
    const ended = await Promise.race([
      conn.closed.then(() => true),
      new Promise<false>((done) => setTimeout(() => done(false), timeout)),
    ]);
    if (!ended) throw new Error(`no complete answer within ${timeout} ms: ${JSON.stringify(conn.received)}`);
    const text = conn.received;
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
    const body = text.slice(text.indexOf("\r\n\r\n") + 4);
    return { status, body, text };
  } finally {
    conn.destroy();
  }
}
