/** mpms worker side of the "moved" workloads: the bytes go back with `transfer` (bench/lib/moved.mjs). */

import { touchMoved } from "../lib/moved.mjs";
import { MPMS_ENTRY } from "../lib/mpms_entry.mjs";

const { transfer } = await import(MPMS_ENTRY);

export function moved(bytes) {
  const out = touchMoved(bytes);
  return transfer(out, [out.buffer]);
}

export default moved;
