// The message schema version and kinds, without zod: what the device agent imports at run time (issue 17);
// envelope.ts re-exports them.

/** Version of the message schemas (envelope and bodies); a message states the version it follows. */
export const MESSAGE_SCHEMA_VERSION = 1;

/** The message kinds a device publishes, one MQTT topic each: `twins/{deviceId}/{kind}`. */
export const DEVICE_MESSAGE_KINDS = ['static', 'snapshot', 'telemetry', 'status'] as const;
export type DeviceMessageKind = (typeof DEVICE_MESSAGE_KINDS)[number];
