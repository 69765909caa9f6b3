// Types of scripts/ensureBuilt.js (plain CommonJS so that it runs before ts-node); see that file.

/** What can be built on demand: the contracts with their TypeChain types, the agent's `agent/dist`, the oracle's `oracle/dist`. */
export type BuildTarget = 'contracts' | 'agent' | 'oracle';

/** The repository root. */
export declare const ROOT: string;

/** Whether `target` is built and current in `root` (default the repository); when not, why. */
export declare function checkBuilt(
  target: BuildTarget,
  root?: string,
): { fresh: true } | { fresh: false; reason: string };

/**
 * Builds each of `targets` that is missing or stale, in order; returns the ones it built. Throws when a build fails
 * (its output is on stderr).
 *
 * @example
 * ensureBuilt(['contracts']) // [] when everything is current
 */
export declare function ensureBuilt(
  targets: BuildTarget[],
  options?: { root?: string; force?: boolean; log?: (line: string) => void },
): BuildTarget[];
