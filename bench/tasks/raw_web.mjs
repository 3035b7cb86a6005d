/** Raw Web Worker floor, worker side: the "moved" task, bytes moved back in the transfer list (bench/lib/moved.mjs). */
import { touchMoved } from "../lib/moved.mjs";

self.onmessage = (e) => {
  const value = touchMoved(e.data.input);
  self.postMessage({ id: e.data.id, value }, [value.buffer]);
};
self.postMessage({ ready: true });
