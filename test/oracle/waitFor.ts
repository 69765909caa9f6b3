/**
 * Waits until `condition` (sync or async) holds, polling every 100 ms; fails naming `what` after `timeoutMs`.
 *
 * @example
 * await waitFor(async () => (await harness.anchoredSnapshots()).length >= produced, 60_000, 'every snapshot anchored')
 */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
