/** An in-memory ShutdownHost and logger, to test the coordinator without signals or exits. */
import type { ShutdownHost, ShutdownLogger } from "../../mod.ts";

export interface FakeHost extends ShutdownHost {
  exits: number[];
  /** Deliver a signal to the installed handler (no-op when none is installed). */
  send(signal: string): void;
  installed(): string[];
}

export function fakeHost(env: Record<string, string> = {}): FakeHost {
  const handlers = new Map<string, (signal: string) => void>();
  const host: FakeHost = {
    exits: [],
    listen(signals, onSignal) {
      for (const s of signals) handlers.set(s, onSignal);
      return () => {
        for (const s of signals) handlers.delete(s);
      };
    },
    exit(code) {
      host.exits.push(code);
    },
    flush: async () => {},
    env: (name) => env[name],
    send(signal) {
      handlers.get(signal)?.(signal);
    },
    installed: () => [...handlers.keys()],
  };
  return host;
}

export function lines(): { logger: ShutdownLogger; out: string[] } {
  const out: string[] = [];
  return { out, logger: { info: (m: string) => out.push(m), warn: (m: string) => out.push(`WARN ${m}`) } };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
