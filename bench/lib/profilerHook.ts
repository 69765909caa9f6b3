/**
 * Preloaded (`node -r`) into a child process the benchmark spawns, so that it can be CPU-profiled over exactly the
 * measured window, whatever the program: on the IPC message `{ type: 'profile-start' }` it starts V8's sampling
 * profiler (the one `node --cpu-prof` uses), and on `{ type: 'profile-stop', file }` writes the `.cpuprofile` to
 * `file` and answers `{ type: 'profile-written', file }`.
 *
 * @example
 * spawnEntry({ entry: 'api/src/cli.ts', profiler: true }) // then profileWindow(child).start() … .stop(file)
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

let session: Session | undefined;

process.on('message', (message: { type?: string; file?: string }) => {
  if (message.type === 'profile-start' && session === undefined) {
    session = new Session();
    session.connect();
    session.post('Profiler.enable', () =>
      session!.post('Profiler.start', () => process.send?.({ type: 'profile-started' })),
    );
  } else if (message.type === 'profile-stop' && session !== undefined) {
    const active = session;
    session = undefined;
    active.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(message.file!, JSON.stringify(result.profile));
      active.disconnect();
      process.send?.({ type: 'profile-written', file: message.file, error: error?.message });
    });
  }
});
// The listener above must not keep a process alive that would otherwise end.
process.channel?.unref();
