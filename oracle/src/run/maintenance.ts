import {
  maintainSequenceGaps,
  maintainTelemetryPartitions,
  pruneEvents,
  pruneRelayBudgets,
  pruneSignInNonces,
  type Store,
  type StoreConfig,
} from '../../../store/src';
import type { OracleLog } from './types';

/** The store settings the upkeep follows. */
export type MaintenanceSettings = Pick<
  StoreConfig,
  'telemetryRetentionDays' | 'telemetryPartitionsAhead' | 'maxOpenGapsPerDevice' | 'gapExpiryHours'
> &
  Partial<Pick<StoreConfig, 'eventRetentionMinutes'>>;

/** The upkeep running: its counters, and how to stop it. */
export type Maintenance = { runs: number; failures: number; stop(): void };

/**
 * Runs the store's upkeep now and every `intervalMs`: the telemetry history's daily partitions (created ahead,
 * expired ones dropped: `maintainTelemetryPartitions`) and the sequence gaps (the per-device cap stored, expired gaps
 * given up: `maintainSequenceGaps`) and the event outbox (events older than `eventRetentionMinutes`, default 60,
 * pruned: `pruneEvents`), the API's relayer budgets (ended windows, expired reservations: `pruneRelayBudgets`) and
 * its used sign-in nonces that expired (`pruneSignInNonces`). Instances running it at once are serialised by the
 * store. A failed pass is
 * logged and counted, and the next one tries again. Resolves once the first pass ended.
 *
 * @example
 * const upkeep = await startMaintenance({ index, settings: loadStoreConfig(), intervalMs: 3_600_000, log })
 * upkeep.stop()
 */
export async function startMaintenance(parameters: {
  index: Store;
  settings: MaintenanceSettings;
  intervalMs: number;
  log: OracleLog;
}): Promise<Maintenance> {
  const { index, settings, log } = parameters;
  let running: Promise<void> = Promise.resolve();
  const maintenance: Maintenance = {
    runs: 0,
    failures: 0,
    stop: () => clearInterval(timer),
  };
  const pass = async () => {
    try {
      const partitions = await maintainTelemetryPartitions(index, settings);
      const gaps = await maintainSequenceGaps(index, settings);
      const retentionMs = (settings.eventRetentionMinutes ?? 60) * 60_000;
      const prunedEvents = await pruneEvents(index, { olderThan: Date.now() - retentionMs });
      const budgets = await pruneRelayBudgets(index);
      const prunedNonces = await pruneSignInNonces(index);
      maintenance.runs++;
      const pruned = prunedEvents + budgets.windows + budgets.reservations + prunedNonces;
      if (partitions.created.length > 0 || partitions.dropped.length > 0 || gaps.gaps > 0 || pruned > 0) {
        log('info', 'store upkeep', {
          ...partitions,
          givenUpGaps: gaps.gaps,
          givenUpMissing: gaps.missing,
          prunedEvents,
          prunedBudgetWindows: budgets.windows,
          prunedReservations: budgets.reservations,
          prunedSignInNonces: prunedNonces,
        });
      }
    } catch (error) {
      maintenance.failures++;
      log('warn', 'store upkeep failed', { error: (error as Error).message });
    }
  };
  const timer = setInterval(() => {
    running = running.then(pass);
  }, parameters.intervalMs);
  timer.unref();
  running = pass();
  await running;
  return maintenance;
}
