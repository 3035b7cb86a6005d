/** Hono integration: request draining middleware (issue 5). */
export {};
