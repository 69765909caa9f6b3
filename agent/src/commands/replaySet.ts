import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What {@link ReplaySet.admit} answered. */
export type ReplayVerdict = 'new' | 'replayed' | 'full';

/**
 * The nonces of the commands a device has obeyed, each kept until its command expires (after that the expiry check
 * refuses it anyway): persisted, so a restart replays nothing, and bounded: when `capacity` unexpired nonces are
 * held, a new command is refused ("full") rather than an old nonce forgotten. With commands valid at most an hour,
 * the capacity is the most commands an hour a device takes.
 *
 * @example
 * const seen = new ReplaySet(join(dataDir, 'command-nonces.json'), 1024)
 * if (seen.admit(command.nonce, command.expiry, nowSeconds) !== 'new') refuse()
 */
export class ReplaySet {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly file: string | undefined,
    private readonly capacity: number,
  ) {
    if (file === undefined) return;
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      for (const [nonce, expiry] of Object.entries(stored))
        if (typeof expiry === 'number' && Number.isFinite(expiry)) this.entries.set(nonce, expiry);
    } catch (error) {
      // A missing file is a new device. Writes are atomic renames, so a corrupt file means disk damage: it starts
      // empty (commands it held stay refused by their expiry once that passes).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
  }

  /** How many nonces are held. */
  get size(): number {
    return this.entries.size;
  }

  /** Records `nonce` unless it was seen (or the set is full of unexpired nonces); persists before answering. */
  admit(nonce: string, expirySeconds: number, nowSeconds: number): ReplayVerdict {
    if (this.entries.has(nonce)) return 'replayed';
    for (const [held, expiry] of this.entries) if (expiry < nowSeconds) this.entries.delete(held);
    if (this.entries.size >= this.capacity) return 'full';
    this.entries.set(nonce, expirySeconds);
    this.persist();
    return 'new';
  }

  private persist(): void {
    if (this.file === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(Object.fromEntries(this.entries)), { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
