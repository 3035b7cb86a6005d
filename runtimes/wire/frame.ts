/**
 * Frames of the JSON process channels. Every text mpms sends starts with {@link MARK} (which
 * names the wire format version), then either a protocol batch (a JSON array) or an adapter
 * notice (a JSON object). Anything else on a shared channel, such as a task's own
 * `process.send("ready")`, is foreign: reported, never decoded as ours. A task's input (`run`),
 * result (`ok`) and progress values keep their type: a message whose value is not plain JSON carries it as a
 * tagged tree (see values.ts) and the flag `x: 1`; only such messages are revived.
 */
import { describeReceived } from "../../src/pool/channel.ts";
import { toWireError, type WireError } from "../../src/wire_error.ts";
import { encodeTagged, isPlainJson, reviveTagged } from "./values.ts";

/** Version of the wire format (the frame layout and the tags); a change refuses the other side. */
export const WIRE_VERSION = 2;

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
  return MARK + JSON.stringify(tagBatch(batch));
}

/** The batch with every value that is not plain JSON replaced by its tagged tree (flag `x: 1`). */
function tagBatch(batch: readonly Message[]): readonly Message[] {
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
  return out ?? batch;
}

/**
 * Key of the envelope the JSON IPC channels (`process`, `bun`) carry. They JSON-encode each
 * message themselves, so a frame goes as this object, encoded once, not as frame text the
 * channel would encode a second time (escaping every quote of it). The value is WIRE_VERSION.
 * The key needs no escaping in JSON: one string that does (wire format 1's `"\u001empms"`)
 * takes Bun's JSON.stringify off its fast path for the whole message, 5x slower for 1 MiB of
 * base64 (bench/analysis.md, "Bun process adapter: the envelope key").
 */
export const ENVELOPE = "$mpms";

/** A frame as a value for a JSON IPC channel: `{ [ENVELOPE]: version, b: batch }` or `n: notice`. */
export type Envelope = { [ENVELOPE]: number; b?: readonly Message[]; n?: ChildNotice };

/**
 * Whether a JSON IPC channel between this host and a child of `childRuntime` carries envelopes.
 * Deno's IPC parser turns integers beyond 2^53 into BigInt, so where Deno receives (as host or
 * as child) frames go as text, which the receiving side parses itself. A child answers in the
 * form it receives.
 */
export function ipcCarriesEnvelopes(childRuntime: string): boolean {
  return childRuntime !== "deno" && !("Deno" in globalThis);
}

/** Encode a batch as an envelope. Throws a TypeError (sending nothing) when a value cannot be carried. */
export function envelopeBatch(batch: readonly Message[]): Envelope {
  return { [ENVELOPE]: WIRE_VERSION, b: tagBatch(batch) };
}

/** The envelope a child sends before an uncaught error ends it. */
export function envelopeFatal(error: unknown): Envelope {
  return { [ENVELOPE]: WIRE_VERSION, n: { fatal: toWireError(error) } };
}

/** Revive the tagged values of a decoded batch, in place. */
function reviveBatch(batch: unknown[]): void {
  for (const msg of batch as Message[]) {
    if (msg !== null && typeof msg === "object" && msg.x === 1) {
      const field = userField(msg);
      if (field !== null) msg[field[0]] = reviveTagged(msg[field[0]]);
      delete msg.x;
    }
  }
}

/** Decode an envelope (see {@link decodeFrame}). */
function decodeEnvelope(received: Record<string, unknown>): Received {
  const version = received[ENVELOPE];
  if (version !== WIRE_VERSION) {
    return {
      kind: "invalid",
      problem: `wire format ${JSON.stringify(version)?.slice(0, 20)} on the channel, this side speaks ${WIRE_VERSION}: rebuild (npm run build)`,
    };
  }
  try {
    if (received.n !== undefined) {
      const notice = received.n as ChildNotice;
      if (notice === null || typeof notice !== "object" || typeof notice.fatal !== "object" || notice.fatal === null)
        throw new TypeError("bad notice");
      return { kind: "notice", notice };
    }
    if (!Array.isArray(received.b)) return { kind: "batch", batch: received.b }; // the pool refuses it
    reviveBatch(received.b);
    return { kind: "batch", batch: received.b };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { kind: "invalid", problem: `undecodable mpms envelope (${detail})` };
  }
}

/** What a received frame turned out to be. */
export type Received =
  | { kind: "batch"; batch: unknown }
  | { kind: "notice"; notice: ChildNotice }
  | { kind: "foreign" }
  | { kind: "invalid"; problem: string };

/** Decode whatever arrived on a channel; never throws. */
export function decodeFrame(received: unknown): Received {
  if (received !== null && typeof received === "object" && !Array.isArray(received)) {
    return Object.hasOwn(received, ENVELOPE)
      ? decodeEnvelope(received as Record<string, unknown>)
      : { kind: "foreign" };
  }
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
    if (Array.isArray(parsed)) reviveBatch(parsed);
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
