import { join, readText } from './read';
import type { SystemPaths } from './context';

/**
 * Parses os-release(5): `KEY=value` lines, values optionally quoted with shell escapes. Comments and blank lines
 * are skipped.
 *
 * @example
 * parseOsRelease('NAME="Raspbian GNU/Linux"\nVERSION_ID="12"').NAME // 'Raspbian GNU/Linux'
 */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    fields[match[1]!] = value;
  }
  return fields;
}

/** The OS name, version and family the static document takes from os-release. */
export type OsReleaseInfo = {
  /** `NAME` (e.g. `Raspbian GNU/Linux`), or null. */
  name: string | null;
  /** `VERSION` (e.g. `12 (bookworm)`), else `VERSION_ID`, else `BUILD_ID`, or null (rolling releases). */
  version: string | null;
  /** First word of `ID_LIKE`, else `ID` (e.g. `debian`), or null. */
  family: string | null;
};

/** Picks the static document's OS fields out of parsed os-release fields. */
export function osReleaseInfo(fields: Record<string, string>): OsReleaseInfo {
  const pick = (...keys: string[]) => {
    for (const key of keys) {
      const value = fields[key]?.trim();
      if (value) return value;
    }
    return null;
  };
  return {
    name: pick('NAME', 'PRETTY_NAME'),
    version: pick('VERSION', 'VERSION_ID', 'BUILD_ID'),
    family: pick('ID_LIKE', 'ID')?.split(/\s+/)[0] ?? null,
  };
}

/** Reads /etc/os-release (throws a ReadError naming the path when it is missing). */
export async function readOsRelease(paths: SystemPaths): Promise<OsReleaseInfo> {
  return osReleaseInfo(parseOsRelease(await readText(join(paths.etc, 'os-release'))));
}
