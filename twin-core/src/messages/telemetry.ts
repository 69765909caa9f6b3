import { z } from 'zod';
import { groundTruthSchema, networkBehaviourSchema } from './behaviour';

/** One sensor reading: a thermal zone, or a device-specific sensor from a plug-in (wind speed, soil moisture…). */
export const sensorReadingSchema = z.strictObject({
  name: z.string().min(1).max(64),
  value: z.number(),
  unit: z.string().max(16),
  /** Where it came from: `thermal_zone0`, `plugin:anemometer`, … */
  source: z.string().max(128).optional(),
});
export type SensorReading = z.output<typeof sensorReadingSchema>;

/** `twins/{deviceId}/telemetry`: small and frequent (e.g. every second): load, sensors and network behaviour. */
export const telemetryBodySchema = z.strictObject({
  cpuPercent: z.number().min(0).max(100).nullable(),
  memoryUsedPercent: z.number().min(0).max(100).nullable(),
  load1: z.number().nonnegative().nullable(),
  processCount: z.number().int().nonnegative().nullable(),
  network: networkBehaviourSchema,
  sensors: z.array(sensorReadingSchema).max(256),
  /** Ground truth from the simulator; absent on real devices. */
  label: groundTruthSchema.optional(),
});
export type TelemetryBody = z.output<typeof telemetryBodySchema>;
