/**
 * Describing whatever a hook threw, safely. A shutdown report and its log lines are built from
 * values the application controls: objects without a prototype, getters and `toString` methods
 * that throw, Symbols, revoked Proxies, causes that point back at themselves. Nothing here may
 * throw, or the shutdown would stop before it exits.
 */

/** Longest description kept (characters); longer ones end with "…". */
const MAX_LENGTH = 500;
/** Causes followed at most this deep ("cause: …" inside "cause: …"). */
const MAX_CAUSE_DEPTH = 3;

/** `value[key]`, or undefined when reading it throws (a getter, a revoked Proxy). */
export function safeGet(value: unknown, key: PropertyKey): unknown {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return undefined;
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** A thrown value counts as a timeout when its `name` is "TimeoutError" (read without throwing). */
export function isTimeoutError(value: unknown): boolean {
  return safeGet(value, "name") === "TimeoutError";
}

function attempt(fn: () => unknown): string | undefined {
  try {
    const out = fn();
    return typeof out === "string" ? out : undefined;
  } catch {
    return undefined;
  }
}

function describeSymbol(value: symbol): string {
  const description = attempt(() => value.description);
  return description === undefined ? "Symbol()" : `Symbol(${description})`;
}

/** The object's tag ("[object Object]"), or a fixed text when even that throws (revoked Proxy). */
function tag(value: object): string {
  return attempt(() => Object.prototype.toString.call(value)) ?? "[object (unreadable)]";
}

function describeObject(value: object, seen: Set<object>, depth: number): string {
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  const name = safeGet(value, "name");
  const message = safeGet(value, "message");
  let head: string;
  if (typeof message === "string" || typeof name === "string") {
    const label = typeof name === "string" && name !== "" ? name : "Error";
    head = typeof message === "string" && message !== "" ? `${label}: ${message}` : label;
  } else {
    // Plain data ({ code: 1 }, null-prototype objects): its JSON when it has any, else its tag.
    const json = attempt(() => JSON.stringify(value));
    head = json !== undefined && json !== "{}" ? json : tag(value);
  }
  const cause = safeGet(value, "cause");
  if (cause !== undefined) {
    const inner = depth >= MAX_CAUSE_DEPTH ? "…" : describeValue(cause, seen, depth + 1);
    head += ` (cause: ${inner})`;
  }
  return head;
}

function describeValue(value: unknown, seen: Set<object>, depth: number): string {
  switch (typeof value) {
    case "string":
      return value;
    case "symbol":
      return describeSymbol(value);
    case "function": {
      const name = safeGet(value, "name");
      return typeof name === "string" && name !== "" ? `[function ${name}]` : "[function]";
    }
    case "object":
      return value === null ? "null" : describeObject(value, seen, depth);
    default:
      return String(value); // number, bigint, boolean, undefined: String() cannot throw on these
  }
}

/**
 * One line describing any thrown value, e.g. `TypeError: bad (cause: Error: inner)`. Never
 * throws; line breaks become spaces; at most 500 characters.
 */
export function describeThrown(value: unknown): string {
  let text: string;
  try {
    text = describeValue(value, new Set(), 0);
  } catch {
    text = "[unprintable value]"; // not expected: every step above is guarded
  }
  text = text.replace(/\s*[\r\n]+\s*/g, " ");
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}
