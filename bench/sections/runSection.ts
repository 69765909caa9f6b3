import { performance } from 'node:perf_hooks';

/** How a section ended: its figures, or why it has none. */
export type SectionOutcome<result> =
  | { status: 'ok'; seconds: number; result: result }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; seconds: number; error: string };

/**
 * Runs one section, timing it and turning an error into a `failed` outcome (a benchmark reports; it never stops the
 * other sections).
 *
 * @example
 * const agent = await runSection('agent', () => runAgentBench({ snapshots: 20, telemetry: 100 }), log)
 */
export async function runSection<result>(
  name: string,
  work: () => Promise<result> | result,
  log: (line: string) => void,
): Promise<SectionOutcome<result>> {
  const began = performance.now();
  const seconds = () => Math.round((performance.now() - began) / 100) / 10;
  log(`${name}: running`);
  try {
    const result = await work();
    log(`${name}: done in ${seconds()} s`);
    return { status: 'ok', seconds: seconds(), result };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`${name}: FAILED: ${message.split('\n').slice(0, 6).join('\n')}`);
    return { status: 'failed', seconds: seconds(), error: message.slice(0, 4_000) };
  }
}
