// Quick start in plain JavaScript on Node, from the built package: `npm run build` first, then
// `node examples/quickstart/main.mjs` (an npm user writes `import { Pool } from "mpms"`).
import { Pool } from "../../dist/mod.js";

const pool = new Pool({ module: new URL("./task.mjs", import.meta.url), workers: 2 });
await pool.start();
console.log(await pool.submit(20)); // 400
const squares = await Promise.all([1, 2, 3].map((n) => pool.submit(n)));
console.log(squares); // [ 1, 4, 9 ]
await pool.close();
