/**
 * Exits the process with a one-line message when Node.js is older than `minimumMajor`.
 * Entry points call it before anything else so an old runtime fails fast instead of deep in a dependency.
 *
 * @example
 * assertNodeVersion(22, 'the twin registry')
 */
export function assertNodeVersion(minimumMajor: number, what: string, version: string = process.versions.node): void {
  const major = Number.parseInt(version.split('.')[0] ?? '0', 10);
  if (major >= minimumMajor) return;
  process.stderr.write(
    `${what} needs Node.js >= ${minimumMajor}, but this is Node.js ${version}: run it through npm (npm run/npx use the project's own Node 24).\n`,
  );
  process.exit(1);
}
