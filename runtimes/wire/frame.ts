/**
 * Frames of the JSON process channels. Every text mpms sends starts with {@link MARK} (which
 * names the wire format version), then either a protocol batch (a JSON array) or an adapter
 * notice (a JSON object). Anything else on a shared channel, such as a task's own
 * `process.send("ready")`, is foreign: reported, never decoded as ours. A task's input (`run`),
 * result (`ok`) and progress values keep their type: a message whose value is not plain JSON carries it as a
 * tagged tree (see values.ts) and the flag `x: 1`; only such messages are revived.
 */
import { describeReceived } from "../../src/channel.ts";
import { toWireError, type WireError } from "../../src/wire_error.ts";
import { encodeTagged, isPlainJson, reviveTagged } from "./values.ts";

/** Version of the wire format (the frame layout and the tags); a change refuses the other side. */
export const WIRE_VERSION = 1;

/** Start of every mpms frame: record separator, name and wire version, unit separator. */
const MARK_BASE = "\u001empms:";
export const MARK = `${MARK_BASE}${WIRE_VERSION}\u001f`;

/** Adapter-level notice a child sends besides protocol batches. */
export interface ChildNotice {
  /** The child is about to exit because of this uncaught error. */
  fatal: WireError;
}

type Message = { t: string; input?: unknown; value?: unknown; x?: 1 };

/** Which field of a message holds a user value, and how errors name it. */
function userField(msg: Message): ["input" | "value", string] | null {
  if (msg.t === "run") return ["input", "input"];
  if (msg.t === "ok") return ["value", "result"];
  if (msg.t === "progress") return ["value", "progress value"];
  return null;
}

/**
 * Encode a batch as a frame. Throws a TypeError (sending nothing) when a value cannot be carried,
 * naming its path (`input.items[3].cb`).
 */
export function encodeBatch(batch: readonly Message[]): string {
  let out: Message[] | undefined;
  for (let i = 0; i < batch.length; i++) {
    const msg = batch[i] as Message;
    const field = userField(msg);
    if (field === null) continue;
    const value = msg[field[0]];
    if (isPlainJson(value)) continue;
    out ??= batch.slice();
    out[i] = { ...msg, [field[0]]: encodeTagged(value, field[1]), x: 1 };
  }
  return MARK + JSON.stringify(out ?? batch);
}

/** What a received frame turned out to be. */
export type Received =
  | { kind: "batch"; batch: unknown }
  | { kind: "notice"; notice: ChildNotice }
  | { kind: "foreign" }
  | { kind: "invalid"; problem: string };

/** Decode whatever arrived on a channel; never throws. */
export function decodeFrame(received: unknown): Received {
  if (typeof received !== "string" || !received.startsWith(MARK_BASE)) return { kind: "foreign" };
  if (!received.startsWith(MARK)) {
    const version = received.slice(MARK_BASE.length, received.indexOf("\u001f"));
    return {
      kind: "invalid",
      problem: `wire format ${JSON.stringify(version).slice(0, 20)} on the channel, this side speaks ${WIRE_VERSION}: rebuild (npm run build)`,
    };
  }
  const text = received.slice(MARK.length);
  try {
    const parsed = JSON.parse(text) as unknown;
    if (text.charCodeAt(0) === 123 /* { */) {
      const notice = parsed as ChildNotice;
      if (notice === null || typeof notice.fatal !== "object" || notice.fatal === null)
        throw new TypeError("bad notice");
      return { kind: "notice", notice };
    }
    if (Array.isArray(parsed)) {
      for (const msg of parsed as Message[]) {
        if (msg !== null && typeof msg === "object" && msg.x === 1) {
          const field = userField(msg);
          if (field !== null) msg[field[0]] = reviveTagged(msg[field[0]]);
          delete msg.x;
        }
      }
    }
    return { kind: "batch", batch: parsed };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { kind: "invalid", problem: `undecodable mpms frame (${detail}): ${text.slice(0, 120)}` };
  }
}

/** The frame a child sends before an uncaught error ends it; undefined if even that cannot be encoded. */
export function encodeFatal(error: unknown): string | undefined {
  const notice: ChildNotice = { fatal: toWireError(error) };
  try {
    return MARK + JSON.stringify(notice);
  } catch {
    return undefined; // the exit code still tells
  }
}

/** The callbacks of a spawn request that a received frame goes to. */
export interface FrameSink {
  onMessages(batch: unknown): void;
  onChannelError(received: string): void;
  onForeignMessage(received: string): void;
}

/** Hand what arrived to the pool: a batch, a notice (to `onNotice`), foreign, or a channel error. */
export function deliverFrame(received: unknown, sink: FrameSink, onNotice: (notice: ChildNotice) => void): void {
  const frame = decodeFrame(received);
  switch (frame.kind) {
    case "batch":
      sink.onMessages(frame.batch);
      return;
    case "notice":
      onNotice(frame.notice);
      return;
    case "foreign":
      sink.onForeignMessage(describeReceived(received));
      return;
    case "invalid":
      sink.onChannelError(frame.problem);
      return;
  }
}
