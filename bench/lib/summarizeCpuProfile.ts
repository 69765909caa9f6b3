import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** A V8 CPU profile as `node --cpu-prof` writes it. */
type CpuProfile = {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
};
type CallFrame = { functionName: string; url: string; lineNumber: number };

/** One function's share of the profile. */
export type ProfileEntry = { name: string; where: string; ms: number; percent: number };

/** Where a process spent its CPU time. */
export type ProfileSummary = {
  file: string;
  /** Sampled time, ms (idle excluded). */
  busyMs: number;
  /** Time in the function itself, the heaviest first. */
  self: ProfileEntry[];
  /** Time in the function and everything it called (each function counted once per sample). */
  inclusive: ProfileEntry[];
  /** Self time by package (`node_modules/<name>`), project folder or runtime part. */
  byArea: ProfileEntry[];
};

function where(frame: CallFrame, root: string): string {
  if (frame.url === '') return '';
  const path = frame.url.replace(/^file:\/\//, '');
  return `${path.startsWith(root) ? relative(root, path) : path}:${frame.lineNumber + 1}`;
}

function area(frame: CallFrame, root: string): string {
  const path = frame.url.replace(/^file:\/\//, '');
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (module) return module[1]!;
  if (path.startsWith('node:')) return 'node (runtime)';
  if (path.startsWith(root)) return relative(root, path).split('/').slice(0, 3).join('/');
  return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
}

function top(totals: Map<string, { name: string; where: string; ms: number }>, busyMs: number, count: number) {
  return [...totals.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count)
    .map((entry) => ({ ...entry, ms: Math.round(entry.ms), percent: Math.round((entry.ms / busyMs) * 1000) / 10 }));
}

/**
 * Summarises a `.cpuprofile`: self and inclusive time of the heaviest functions, and self time by area, with idle
 * time left out.
 *
 * @example
 * const summary = summarizeCpuProfile('/tmp/prof/CPU.2026….cpuprofile', '/work/main', 15)
 * summary.self[0] // { name: 'recoverPublicKey', where: 'node_modules/@noble/curves/…', ms: 5210, percent: 21.4 }
 */
export function summarizeCpuProfile(file: string, root: string, count = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (frame: CallFrame) => `${frame.functionName}@${frame.url}:${frame.lineNumber}`;
  const self = new Map<string, { name: string; where: string; ms: number }>();
  const inclusive = new Map<string, { name: string; where: string; ms: number }>();
  const areas = new Map<string, { name: string; where: string; ms: number }>();
  const add = (map: typeof self, id: string, name: string, at: string, ms: number) => {
    const entry = map.get(id) ?? { name, where: at, ms: 0 };
    entry.ms += ms;
    map.set(id, entry);
  };
  let busyMs = 0;
  profile.samples.forEach((sample, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(sample);
    if (node === undefined || node.callFrame.functionName === '(idle)') return;
    busyMs += ms;
    const frame = node.callFrame;
    add(self, key(frame), frame.functionName || '(anonymous)', where(frame, root), ms);
    add(areas, area(frame, root), area(frame, root), '', ms);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const callFrame = byId.get(id)!.callFrame;
      const callKey = key(callFrame);
      if (seen.has(callKey) || callFrame.functionName === '(root)') continue;
      seen.add(callKey);
      add(inclusive, callKey, callFrame.functionName || '(anonymous)', where(callFrame, root), ms);
    }
  });
  return {
    file,
    busyMs: Math.round(busyMs),
    self: top(self, busyMs, count),
    inclusive: top(inclusive, busyMs, count),
    byArea: top(areas, busyMs, count),
  };
}
