/** piscina worker side of the "moved" workloads: the bytes go back with `Piscina.move` (bench/lib/moved.mjs). */
import { Piscina } from "piscina";
import { touchMoved } from "../lib/moved.mjs";

export function moved(bytes) {
  return Piscina.move(touchMoved(bytes));
}

export default moved;
