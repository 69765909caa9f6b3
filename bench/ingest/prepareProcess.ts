/**
 * Prepares an ingest run's messages in a child process (generation and signing use every core, before any
 * measurement starts): argv[2] is the {@link IngestPlan} as JSON, argv[3] the directory; answers
 * `{ type: 'done', prepared }` over IPC.
 *
 * @example
 * spawnEntry({ entry: 'bench/ingest/prepareProcess.ts', args: [JSON.stringify(plan), directory] })
 */
import { prepareMessages, type IngestPlan } from './prepareMessages';

prepareMessages(JSON.parse(process.argv[2]!) as IngestPlan, process.argv[3]!).then(
  (prepared) => {
    process.send?.({ type: 'done', prepared });
    setTimeout(() => process.exit(0), 100);
  },
  (error: unknown) => {
    process.stderr.write(`prepare: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
