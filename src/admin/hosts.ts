/**
 * Which `Host` and `Origin` the admin answers. This is the defence against DNS rebinding: a page
 * on `evil.example` whose name an attacker re-points at 127.0.0.1 becomes "same origin" with the
 * admin in the browser, but its requests still carry `Host: evil.example`. An IP literal or a
 * loopback name in `Host` can never be such a page, so those pass by default; any other name must
 * be the served address or be listed in `allowedHosts`.
 */
import { show } from "../util/validate.ts";

/** One `allowedHosts` entry, parsed. */
export interface AllowedHost {
  /** Lower-case name without a trailing dot; for a suffix entry, the part after the leading dot. */
  name: string;
  /** The entry matches this name and every name below it (written ".example.com"). */
  suffix: boolean;
  /** Only this port (written "name:port"); null: any port. */
  port: number | null;
}

/** An authority (`Host` header or an origin's host), normalized. */
export interface Authority {
  /** Lower case, IPv4 in dotted decimal, IPv6 in brackets and compressed, no trailing dot. */
  name: string;
  /** Null when absent (the scheme's default). */
  port: number | null;
}

// Only these characters: no userinfo (@), path, query or spaces can sneak into the URL parser.
const NAME_AUTHORITY = /^([A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;
const IPV6_AUTHORITY = /^(\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const WILDCARD_BINDS = new Set(["0.0.0.0", "[::]"]);

/** Parses `host[:port]` (as in a Host header); null when it is not a plain authority. */
export function parseAuthority(text: string): Authority | null {
  const match = NAME_AUTHORITY.exec(text) ?? IPV6_AUTHORITY.exec(text);
  if (!match) return null;
  const portText = match[2];
  const port = portText === undefined ? null : Number(portText);
  if (port !== null && port > 65_535) return null;
  let name: string;
  try {
    // the URL parser canonicalizes IP literals (0x7f.1 -> 127.0.0.1, [0:0::1] -> [::1]) and case
    name = new URL(`http://${match[1]}/`).hostname;
  } catch {
    return null;
  }
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name === "") return null;
  return { name, port };
}

/** True for `localhost`, `*.localhost` (RFC 6761), 127.0.0.0/8 and [::1]. */
export function isLoopbackName(name: string): boolean {
  return (
    name === "localhost" ||
    name.endsWith(".localhost") ||
    name === "[::1]" ||
    (IPV4.test(name) && name.startsWith("127."))
  );
}

/** True for an IPv4 or IPv6 literal (as normalized by {@link parseAuthority}). */
export function isIpLiteral(name: string): boolean {
  return name.startsWith("[") || IPV4.test(name);
}

/**
 * Validates the `allowedHosts` option: an array of `name`, `name:port`, `.suffix` (the name and
 * every name below it) or `"*"` (any Host: only behind a proxy that checks Host itself).
 * Returns the entries, or "any" for `"*"`.
 */
export function parseAllowedHosts(value: unknown): AllowedHost[] | "any" {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(
      `mpms: option "allowedHosts" must be an array of host names, e.g. ["admin.example.com"], got ${show(value)}`,
    );
  }
  const entries: AllowedHost[] = [];
  for (const entry of value) {
    if (typeof entry !== "string") {
      throw new TypeError(`mpms: option "allowedHosts" entries must be strings, got ${show(entry)}`);
    }
    if (entry === "*") return "any";
    const suffix = entry.startsWith(".");
    const parsed = parseAuthority(suffix ? entry.slice(1) : entry);
    if (parsed === null || (suffix && parsed.name.startsWith("["))) {
      throw new RangeError(
        `mpms: option "allowedHosts" entries must be "name", "name:port", ".domain" or "*", got ${show(entry)}`,
      );
    }
    entries.push({ name: parsed.name, suffix, port: parsed.port });
  }
  return entries;
}

function matchesEntry(entry: AllowedHost, host: Authority): boolean {
  if (entry.port !== null && entry.port !== host.port) return false;
  return entry.suffix ? host.name === entry.name || host.name.endsWith(`.${entry.name}`) : host.name === entry.name;
}

/** The Host and Origin rules of one admin app. */
export class HostPolicy {
  readonly #allowed: AllowedHost[] | "any";
  #bound: Authority | null = null;

  constructor(allowed: AllowedHost[] | "any") {
    this.#allowed = allowed;
  }

  /** The address the app is served on (serveAdmin()); before this, any IP literal passes. */
  bind(hostname: string, port: number): void {
    const name = hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
    this.#bound = parseAuthority(`${name}:${port}`);
  }

  #listed(host: Authority): boolean {
    return this.#allowed !== "any" && this.#allowed.some((entry) => matchesEntry(entry, host));
  }

  /** May a request with this `Host` header (or URL host, when there is no header) be answered? */
  allowsHost(hostHeader: string): boolean {
    if (this.#allowed === "any") return true;
    const host = parseAuthority(hostHeader);
    if (host === null) return false;
    if (isLoopbackName(host.name)) return true;
    const bound = this.#bound;
    // All interfaces (or an address we were not told): any address of this machine, on any port
    // (a container's port may be mapped to another one).
    if (bound === null || WILDCARD_BINDS.has(bound.name)) {
      if (isIpLiteral(host.name)) return true;
    } else if (host.name === bound.name && (host.port ?? 80) === bound.port) {
      return true;
    }
    return this.#listed(host);
  }

  /**
   * May a request with this `Origin` be answered? Same origin as its (already checked) Host, or
   * an origin whose host is listed in `allowedHosts` (a proxy that rewrites Host). Opaque origins
   * ("null": sandboxed frames, file: pages) and other schemes are cross-site.
   */
  allowsOrigin(origin: string, hostHeader: string): boolean {
    if (this.#allowed === "any") return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.host === "") return false;
    const from = parseAuthority(url.host);
    const to = parseAuthority(hostHeader);
    if (from === null || to === null) return false;
    if (from.name === to.name && from.port === to.port) return true;
    return this.#listed(from);
  }
}
