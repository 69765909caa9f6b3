/** One interface's counters from /proc/net/dev. */
export type NetDevCounters = {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
};

/**
 * Parses /proc/net/dev (two header lines, then `name: 8 receive counters 8 transmit counters`).
 *
 * @example
 * parseNetDev(text).find((row) => row.name === 'eth0')?.rxBytes
 */
export function parseNetDev(text: string): NetDevCounters[] {
  const rows: NetDevCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (fields.length < 16) continue;
    rows.push({
      name: line.slice(0, colon).trim(),
      rxBytes: fields[0]!,
      rxPackets: fields[1]!,
      rxErrors: fields[2]!,
      rxDropped: fields[3]!,
      txBytes: fields[8]!,
      txPackets: fields[9]!,
      txErrors: fields[10]!,
      txDropped: fields[11]!,
    });
  }
  return rows;
}
