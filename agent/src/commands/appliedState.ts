import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Capabilities } from '../../../twin-core/src/messages/command';
import type { DesiredState } from '../../../twin-core/src/messages/stateDocument';
import { mergeDesired } from '../../../twin-core/src/messages/stateRules';
import { deviceCommandArgumentIssues } from '../validate/validators';

/**
 * The desired state a device has applied, kept in its data directory (`desired-state.json`): every owner-signed
 * `apply-state` it obeyed, merged in order (a PATCH sends only its fields). At start the agent applies it again, so a
 * restart does not reopen the state document's delta until the owner writes once more.
 *
 * @example
 * const applied = new AppliedState(join(dataDir, 'desired-state.json'))
 * const saved = applied.load(capabilities()) // undefined when none, or when the file no longer fits the device
 */
export class AppliedState {
  constructor(private readonly file: string) {}

  /** The kept desired state, checked against what the device declares now; throws naming the problem otherwise. */
  load(capabilities: Capabilities): DesiredState | undefined {
    if (!existsSync(this.file)) return undefined;
    const desired = (JSON.parse(readFileSync(this.file, 'utf8')) as { desired?: unknown }).desired;
    const issues = deviceCommandArgumentIssues('apply-state', { desired, version: 1 }, capabilities);
    if (issues.length > 0) throw new Error(`${this.file}: ${issues.join('; ')}`);
    return desired as DesiredState;
  }

  /** Merges `desired` (just applied) into the kept state and writes it (atomically: a crash keeps the old file). */
  record(desired: DesiredState, capabilities: Capabilities): DesiredState {
    let current: DesiredState = {};
    try {
      current = this.load(capabilities) ?? {};
    } catch {
      // An unreadable or outdated file is replaced by what the owner just sent.
    }
    const merged = mergeDesired(current, desired);
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify({ desired: merged })}\n`, { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
    return merged;
  }
}
