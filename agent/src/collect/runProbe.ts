import { available, unavailable, type Probe } from '../../../twin-core/src/messages/probeResult';
import { checkSection } from '../validate/validators';
import { errorMessage } from './read';

/** A probe that has decided for itself that it cannot answer (e.g. a file is missing). */
export class ProbeUnavailable extends Error {
  override name = 'ProbeUnavailable';
}

/**
 * Settles `work` within `timeoutMs`: its value, or a rejection saying it timed out. The work itself is not
 * cancelled (a read stuck in the kernel cannot be), but nobody waits for it any more.
 *
 * @example
 * const value = await withTimeout(readText(path), 2000, 'reading /proc/meminfo')
 */
export function withTimeout<value>(work: Promise<value>, timeoutMs: number, what: string): Promise<value> {
  return new Promise<value>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Runs one probe with its own timeout and error isolation: a value becomes `available(value)`; a throw, a
 * rejection or a timeout becomes `unavailable(reason)`. Given its snapshot section (`memory`, `dns.config`), a
 * value that does not match that section's schema (the generated validator, agent/src/validate) becomes
 * `unavailable` too, so one probe's surprise cannot make the whole message invalid. Never rejects, so
 * `Promise.all` over wrapped probes always settles and one failing probe cannot stall or break the others.
 *
 * @example
 * const [memory, usb] = await Promise.all([runProbe('memory', 2000, () => readMemory(paths), 'memory'), …])
 */
export async function runProbe<value>(
  name: string,
  timeoutMs: number,
  probe: () => Promise<value>,
  section?: string,
): Promise<Probe<value>> {
  let value: value;
  try {
    value = await withTimeout(Promise.resolve().then(probe), timeoutMs, `${name} probe`);
  } catch (error) {
    return unavailable(errorMessage(error));
  }
  if (section === undefined) return available(value);
  const checked = checkSection(section, value);
  if (checked.ok) return available(value);
  const where = checked.issue.path === '' ? '' : ` at ${checked.issue.path}`;
  return unavailable(`${name}: collected value does not match the schema${where}: ${checked.issue.message}`);
}
