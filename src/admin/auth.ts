/**
 * Bearer-token check for the admin's mutating routes. Tokens are compared as SHA-256 digests with
 * a loop that always runs over every byte, so the time taken says nothing about how much of a
 * guess was right, nor about the token's length.
 */

const encoder = new TextEncoder();

/** True if `a` and `b` hold the same bytes; the time depends on the lengths only. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < n; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

export type AuthResult = "ok" | "missing" | "wrong";

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Checks `Authorization: Bearer <token>` headers against one token. */
export class TokenCheck {
  readonly #expected: Promise<Uint8Array>;

  constructor(token: string) {
    this.#expected = sha256(token);
  }

  /** "missing": no bearer credentials (401); "wrong": a token that does not match (403). */
  async check(authorization: string | undefined | null): Promise<AuthResult> {
    if (!authorization) return "missing";
    const match = BEARER.exec(authorization);
    if (!match) return "missing";
    const presented = await sha256(match[1] as string);
    return timingSafeEqual(presented, await this.#expected) ? "ok" : "wrong";
  }
}

/** Tokens must be usable in a header as they are, and not guessable by brute force. */
export const TOKEN_PATTERN: RegExp = /^[A-Za-z0-9\-._~+/]+=*$/;
export const MIN_TOKEN_LENGTH = 16;
