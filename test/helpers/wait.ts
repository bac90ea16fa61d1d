/** Waiting in tests for something that happens in the background (a broker, a client, a child process). */

export type Falsy = undefined | null | false;

/**
 * Calls `check` every 50 ms until it returns something other than undefined, null or false, and
 * resolves to that; rejects after `timeoutMs` with "timed out after … waiting for <what>".
 */
export async function waitFor<T>(what: string, check: () => T | Falsy | Promise<T | Falsy>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== null && result !== false) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
