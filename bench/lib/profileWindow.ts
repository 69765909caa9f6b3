import { REPO_ROOT, type EntryProcess } from './spawnEntry';
import { summarizeCpuProfile, type ProfileSummary } from './summarizeCpuProfile';

/** Starts and stops the CPU profiler of a child spawned with `profiler: true` (see `profilerHook.js`). */
export type ProfileWindow = {
  start(): Promise<void>;
  /** Stops profiling, writes the profile to `file` and returns its summary. */
  stop(file: string): Promise<ProfileSummary>;
};

/**
 * Controls the profiler of `child` over IPC, so that a profile covers the measured window only (not start-up).
 *
 * @example
 * const window = profileWindow(oracle.process); await window.start(); … const summary = await window.stop(file)
 */
export function profileWindow(child: EntryProcess): ProfileWindow {
  const is = (type: string) => (message: unknown) =>
    (message as { type?: string }).type === type ? (message as { error?: string }) : undefined;
  return {
    async start() {
      child.child.send({ type: 'profile-start' });
      await child.waitFor(is('profile-started'), 30_000, 'the profiler to start');
    },
    async stop(file) {
      child.child.send({ type: 'profile-stop', file });
      const answer = await child.waitFor(is('profile-written'), 120_000, 'the profile to be written');
      if (answer.error) throw new Error(`profile not written: ${answer.error}`);
      return summarizeCpuProfile(file, REPO_ROOT, 15);
    },
  };
}
