/**
 * The pool of `mpms/web`: the core Pool on Web Workers (`adapter: "web"`) unless told otherwise,
 * with the web adapter registered. Nothing here imports a `node:` module.
 */
import { registerAdapter } from "../src/adapter.ts";
import type { PoolOptions } from "../src/pool/options.ts";
import { Pool as CorePool } from "../src/pool/pool.ts";
import createWebAdapter from "./web.ts";

registerAdapter("web", () => Promise.resolve(createWebAdapter));

/** The mpms {@link CorePool | Pool}, on Web Workers (`adapter: "web"`) unless `adapter` says otherwise. */
export class Pool<In = unknown, Out = unknown> extends CorePool<In, Out> {
  /** As the core Pool's constructor, with `adapter: "web"` unless `options.adapter` is given. */
  constructor(options: PoolOptions<In, Out>) {
    super(
      options !== null && typeof options === "object" && options.adapter === undefined
        ? { ...options, adapter: "web" }
        : options,
    );
  }
}
