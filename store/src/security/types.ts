/** One device's analyzer state as a security entity saved it. */
export type SecurityDeviceState = {
  deviceId: string;
  /** `Analyzer.exportDevice`'s bytes (1 byte to 1 MiB). */
  state: Uint8Array;
};

/** A saved device state as read back. */
export type StoredSecurityDeviceState = SecurityDeviceState & { updatedAt: string };

/** What a security service did about one open alert: its own JSON record (the store keeps it as given). */
export type SecurityHandledRecord = {
  alertId: string;
  deviceId: string;
  record: unknown;
};

/** A twin a security service suspended and watches, with what suspended it (null: unknown). */
export type SecurityWatchedRecord = {
  deviceId: string;
  record: unknown;
};

/** A page of a listing: rows after `after` (a DeviceID, or an alert ID for the handled alerts), in key order. */
export type SecurityPageQuery = {
  after?: string | undefined;
  /** Rows at most (default 1,000, at most {@link MAX_SECURITY_PAGE}). */
  limit?: number | undefined;
};

/** Rows one write statement carries at most: a longer list is written in several statements. */
export const MAX_SECURITY_ROWS_PER_STATEMENT = 500;
/** The largest page a listing returns. */
export const MAX_SECURITY_PAGE = 10_000;
/** The largest device state stored, bytes (the table's check says the same). */
export const MAX_SECURITY_STATE_BYTES = 1_048_576;
