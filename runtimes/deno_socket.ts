/**
 * The `deno` adapter's channel: one Unix domain socket per worker, so that the child's stdin,
 * stdout and stderr stay the task's own. The host listens at `<tmp>/mpms-chan-XXXX/w.sock` (a folder
 * only this user may enter), passes the path to the child ({@link CHANNEL_ARGUMENT}), takes the
 * first connection and then removes the socket and its folder: nothing is left on disk while the
 * worker runs, and nobody else can connect. POSIX only (on Windows the adapter uses stdio).
 */
import { socketBase } from "./deno_permissions.ts";

/** The command-line argument that gives a `deno` child its socket: `--mpms-channel=<path>`. */
export const CHANNEL_ARGUMENT = "--mpms-channel";

/** The part of a Deno connection the channel uses. */
export interface SocketConn {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

interface UnixListener {
  accept(): Promise<SocketConn>;
  close(): void;
}

/** The part of the Deno namespace this module uses. */
interface DenoApi {
  build: { os: string };
  listen(options: { transport: "unix"; path: string }): UnixListener;
  makeTempDirSync(options: { dir: string; prefix: string }): string;
  chmodSync(path: string, mode: number): void;
  removeSync(path: string, options: { recursive: boolean }): void;
}

/** A socket waiting for its child, then connected to it. */
export interface HostSocket {
  /** Where the child connects. */
  readonly path: string;
  /** The child's connection; null if the socket was closed before one came. */
  readonly connected: Promise<SocketConn | null>;
  /** Stop listening and remove the socket and its folder (the connection, if any, stays open). */
  close(): void;
}

/**
 * Listen on a new private socket, or return null where this host cannot (Windows; a Deno host
 * without net access or read and write access to the temp folder, see {@link socketBase};
 * any failure to make the folder or to listen).
 */
export function listenSocket(): HostSocket | null {
  const deno = (globalThis as { Deno?: DenoApi }).Deno;
  if (!deno || deno.build.os === "windows") return null;
  const base = socketBase();
  if (base === null) return null;
  let dir: string | undefined;
  const removeDir = (): void => {
    if (dir === undefined) return;
    try {
      deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
    dir = undefined;
  };
  let listener: UnixListener;
  try {
    dir = deno.makeTempDirSync({ dir: base, prefix: "mpms-chan-" });
    deno.chmodSync(dir, 0o700);
    listener = deno.listen({ transport: "unix", path: `${dir}/w.sock` });
  } catch {
    removeDir(); // e.g. a path longer than a socket address holds: stdio will do
    return null;
  }
  const path = `${dir}/w.sock`;
  let open = true;
  const close = (): void => {
    if (open) {
      open = false;
      try {
        listener.close();
      } catch {
        // closed already
      }
    }
    removeDir();
  };
  const connected = listener.accept().then(
    (conn) => {
      close(); // the one connection: read it even if the child exited meanwhile (its last frames)
      return conn;
    },
    () => {
      close();
      return null;
    },
  );
  return { path, connected, close };
}
