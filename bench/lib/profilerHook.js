// @ts-check
/**
 * Preloaded (`node -r`) into a child process the benchmark spawns, so that it can be CPU-profiled over exactly the
 * measured window, whatever the program: on the IPC message `{ type: 'profile-start' }` it starts V8's sampling
 * profiler (the one `node --cpu-prof` uses), and on `{ type: 'profile-stop', file }` writes the `.cpuprofile` to
 * `file` and answers `{ type: 'profile-written', file }`. Plain CommonJS, so that it preloads into the bundled oracle
 * (`oracle/dist/cli.js`, no ts-node) as well as into a TypeScript entry.
 *
 * @example
 * spawnEntry({ entry: 'api/src/cli.ts', profiler: true }) // then profileWindow(child).start() … .stop(file)
 */
'use strict';

const { writeFileSync } = require('node:fs');
const { Session } = require('node:inspector');

/** @type {import('node:inspector').Session | undefined} */
let session;

process.on('message', (/** @type {{ type?: string, file?: string }} */ message) => {
  if (message.type === 'profile-start' && session === undefined) {
    const started = new Session();
    session = started;
    started.connect();
    started.post('Profiler.enable', () =>
      started.post('Profiler.start', () => process.send?.({ type: 'profile-started' })),
    );
  } else if (message.type === 'profile-stop' && session !== undefined) {
    const active = session;
    session = undefined;
    active.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(/** @type {string} */ (message.file), JSON.stringify(result.profile));
      active.disconnect();
      process.send?.({ type: 'profile-written', file: message.file, error: error?.message });
    });
  }
});
// The listener above must not keep a process alive that would otherwise end.
process.channel?.unref();
