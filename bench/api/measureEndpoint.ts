import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuShare, sampleProcess } from '../lib/processSample';
import type { ProfileWindow } from '../lib/profileWindow';
import { spawnEntry } from '../lib/spawnEntry';
import { round } from '../lib/stats';
import type { ProfileSummary } from '../lib/summarizeCpuProfile';
import type { LoadParameters, LoadResult } from './autocannonProcess';

/** One endpoint under load, with the serving process's CPU and peak RSS meanwhile. */
export type EndpointFigures = LoadResult & {
  route: string;
  /** Share of one core the serving process used, and its CPU time per request, ms. */
  apiCpuShare: number;
  apiCpuMsPerRequest: number;
  apiRssMiB: number;
  /** Under `--profile`: where the serving process's CPU time went during the measured run. */
  profile?: ProfileSummary;
};

/** Parameters of {@link measureEndpoint}. */
export type MeasureEndpointParameters = {
  /** Names the paths file and the profile (`api-<name>…`). */
  name: string;
  route: string;
  origin: string;
  /** The serving process (its CPU and RSS are sampled). */
  pid: number;
  /** Requested at random, one per request. */
  paths: string[];
  workDir: string;
  connections: number;
  durationSeconds: number;
  /** CPU-profile the serving process during the measured run, into `<profileDir>/api-<name>.cpuprofile`. */
  profiler?: { window: ProfileWindow; profileDir: string };
};

/**
 * Drives one endpoint with autocannon from its own process (a warm-up, then the measured run) and samples the serving
 * process's CPU and RSS meanwhile.
 *
 * @example
 * const twin = await measureEndpoint({ name: 'twin', route: 'GET /api/v1/twins/:deviceId', origin, pid, paths, workDir, connections: 10, durationSeconds: 10 })
 */
export async function measureEndpoint(parameters: MeasureEndpointParameters): Promise<EndpointFigures> {
  const pathsFile = join(parameters.workDir, `api-${parameters.name}-paths.json`);
  writeFileSync(pathsFile, JSON.stringify(parameters.paths));
  const load: LoadParameters = {
    origin: parameters.origin,
    pathsFile,
    connections: parameters.connections,
    durationSeconds: parameters.durationSeconds,
  };
  const driver = spawnEntry({ entry: 'bench/api/autocannonProcess.ts', args: [JSON.stringify(load)] });
  try {
    const isMeasuring = (m: unknown) => ((m as { type?: string }).type === 'measuring' ? true : undefined);
    await driver.waitFor(isMeasuring, 5 * 60_000, `autocannon warm-up on ${parameters.name}`);
    await parameters.profiler?.window.start();
    const before = sampleProcess(parameters.pid);
    let peakRss = before?.rssMiB ?? Number.NaN;
    const sample = () => (peakRss = Math.max(peakRss, sampleProcess(parameters.pid)?.rssMiB ?? 0));
    const sampler = setInterval(sample, 500);
    const result = await driver
      .waitFor(
        (m) => ((m as { type?: string }).type === 'result' ? (m as { result: LoadResult }).result : undefined),
        10 * 60_000,
        `autocannon on ${parameters.name}`,
      )
      .finally(() => clearInterval(sampler));
    const after = sampleProcess(parameters.pid);
    const profile =
      parameters.profiler &&
      (await parameters.profiler.window.stop(
        join(parameters.profiler.profileDir, `api-${parameters.name}.cpuprofile`),
      ));
    const cpuMs = before && after ? after.cpuMs - before.cpuMs : Number.NaN;
    return {
      route: parameters.route,
      ...result,
      apiCpuShare: round(cpuShare(before, after), 2),
      apiCpuMsPerRequest: round(cpuMs / Math.max(1, result.requests), 2),
      apiRssMiB: round(peakRss),
      ...(profile ? { profile } : {}),
    };
  } finally {
    await driver.kill(5_000);
  }
}
