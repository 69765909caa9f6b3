import { z } from 'zod';
import { fromJsonSafe, toJsonSafe, type Alert, type Analyzer } from '../../analytics/src';
import {
  deleteSecurityDeviceStates,
  deleteSecurityHandled,
  deleteSecurityWatched,
  listSecurityDeviceStates,
  listSecurityHandled,
  listSecurityWatched,
  saveSecurityDeviceStates,
  saveSecurityHandled,
  saveSecurityWatched,
  type Store,
} from '../../store/src';
import { ALERT_ACTIONS, type AlertBody } from '../../twin-core/src/messages/alert';

/** What the service did about an alert, kept while it is relevant. */
export type Handled = { alert: Alert; evidenceCid: string; action: AlertBody['action']; tx: string | null };

/** A handled alert as read back from the store: checked before the service trusts it. */
const handledSchema = z.object({
  alert: z.looseObject({ id: z.string().min(1), deviceId: z.string().min(1), behaviour: z.string().min(1) }),
  evidenceCid: z.string().min(1),
  action: z.enum(ALERT_ACTIONS),
  tx: z.string().nullable(),
});

/** Parameters of {@link createSecurityState}. */
export type SecurityStateParameters = {
  store: Store;
  /** The security entity's address: its rows only. */
  entity: string;
  analyzer: Analyzer;
  /** The service's maps, read at each save (`mark*` says which keys changed). */
  handled: Map<string, Handled>;
  suspended: Map<string, Handled | undefined>;
  log: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
  now: () => number;
};

/** The service's state in the store: loaded at start, saved on a timer and at stop. */
export type SecurityState = {
  /** Restores every saved device state into the analyzer and fills the maps; returns what it restored. */
  load(): Promise<{ devices: number; refused: number; handled: number; watched: number }>;
  /** A handled alert (by ID) or a watched twin (by DeviceID) was set or deleted in its map. */
  markHandled(alertId: string): void;
  markWatched(deviceId: string): void;
  /** Writes what changed since the last save: device states (the analyzer's changes), handled alerts, watched twins. */
  save(): Promise<{ devices: number; handled: number; watched: number }>;
};

/**
 * Keeps a security service's state in the store (issue 15 item 8): per security entity, each device's analyzer state
 * (baseline, detectors, open alerts), the alerts it handled and the twins it watches. A save that fails keeps its
 * changes for the next one.
 *
 * @example
 * const state = createSecurityState({ store, entity: wallet.address, analyzer, handled, suspended, log, now })
 * await state.load()
 * setInterval(() => void state.save(), 5_000)
 */
export function createSecurityState(parameters: SecurityStateParameters): SecurityState {
  const { store, entity, analyzer, handled, suspended, log, now } = parameters;
  const devices = { changed: new Set<string>(), removed: new Set<string>() };
  const alerts = new Set<string>();
  const watched = new Set<string>();

  async function pages<row>(list: (after: string | undefined) => Promise<row[]>, keyOf: (row: row) => string) {
    const rows: row[] = [];
    for (let page = await list(undefined); page.length > 0; page = await list(keyOf(page.at(-1)!))) rows.push(...page);
    return rows;
  }

  function handledOf(record: unknown, key: string): Handled | undefined {
    const parsed = handledSchema.safeParse(fromJsonSafe(record));
    if (parsed.success) return parsed.data as unknown as Handled;
    log('warn', 'saved security record ignored', { key, error: parsed.error.issues[0]?.message });
    return undefined;
  }

  return {
    async load() {
      let restored = 0;
      let refused = 0;
      for (let page = await listSecurityDeviceStates(store, entity); page.length > 0; ) {
        for (const { deviceId, state } of page) {
          try {
            analyzer.importDevice(state, deviceId);
            restored++;
          } catch (error) {
            // Another layout (an upgrade changed the detectors): this device is learned again.
            refused++;
            log('warn', 'saved device state refused; learning the device again', {
              deviceId,
              error: (error as Error).message.split('\n')[0],
            });
          }
        }
        page = await listSecurityDeviceStates(store, entity, { after: page.at(-1)!.deviceId });
      }
      const handledRows = await pages(
        (after) => listSecurityHandled(store, entity, { after }),
        (row) => row.alertId,
      );
      // Only alerts still open in the analyzer are handled: a row of a closed one (or of a device learned again) goes.
      const open = new Set(analyzer.openAlerts().map((alert) => alert.id));
      for (const row of handledRows) {
        const item = open.has(row.alertId) ? handledOf(row.record, row.alertId) : undefined;
        if (item !== undefined) handled.set(row.alertId, item);
        else alerts.add(row.alertId);
      }
      const watchedRows = await pages(
        (after) => listSecurityWatched(store, entity, { after }),
        (row) => row.deviceId,
      );
      for (const row of watchedRows) {
        suspended.set(row.deviceId, row.record === null ? undefined : handledOf(row.record, row.deviceId));
      }
      return { devices: restored, refused, handled: handled.size, watched: watchedRows.length };
    },
    markHandled: (alertId) => void alerts.add(alertId),
    markWatched: (deviceId) => void watched.add(deviceId),
    async save() {
      const round = analyzer.takeChanges();
      for (const deviceId of round.changed) devices.removed.delete(deviceId), devices.changed.add(deviceId);
      for (const deviceId of round.removed) devices.changed.delete(deviceId), devices.removed.add(deviceId);
      const changed = [...devices.changed];
      const removed = [...devices.removed];
      const alertIds = [...alerts];
      const deviceIds = [...watched];
      devices.changed.clear();
      devices.removed.clear();
      alerts.clear();
      watched.clear();
      try {
        const at = now();
        const states = changed.flatMap((deviceId) => {
          const state = analyzer.exportDevice(deviceId);
          return state === undefined ? [] : [{ deviceId, state }];
        });
        await saveSecurityDeviceStates(store, entity, states, at);
        await deleteSecurityDeviceStates(store, entity, removed);
        const kept = alertIds.filter((alertId) => handled.has(alertId));
        await saveSecurityHandled(
          store,
          entity,
          kept.map((alertId) => {
            const item = handled.get(alertId)!;
            return { alertId, deviceId: item.alert.deviceId, record: toJsonSafe(item) };
          }),
          at,
        );
        await deleteSecurityHandled(
          store,
          entity,
          alertIds.filter((alertId) => !handled.has(alertId)),
        );
        const watching = deviceIds.filter((deviceId) => suspended.has(deviceId));
        await saveSecurityWatched(
          store,
          entity,
          watching.map((deviceId) => {
            const item = suspended.get(deviceId);
            return { deviceId, record: item === undefined ? null : toJsonSafe(item) };
          }),
          at,
        );
        await deleteSecurityWatched(
          store,
          entity,
          deviceIds.filter((deviceId) => !suspended.has(deviceId)),
        );
        return { devices: states.length + removed.length, handled: alertIds.length, watched: deviceIds.length };
      } catch (error) {
        // Written again at the next save (a state saved twice is the same row).
        for (const deviceId of changed) if (!devices.removed.has(deviceId)) devices.changed.add(deviceId);
        for (const deviceId of removed) if (!devices.changed.has(deviceId)) devices.removed.add(deviceId);
        for (const alertId of alertIds) alerts.add(alertId);
        for (const deviceId of deviceIds) watched.add(deviceId);
        throw error;
      }
    },
  };
}
