/** Hono admin endpoint (issue 6). */
export {};
