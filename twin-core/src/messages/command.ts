import { z } from 'zod';

/**
 * `twins/{deviceId}/command`: what the API (seed 000: device control) asks an agent to do. Every command is safe to
 * repeat and none runs code on the device: collect and publish a snapshot now, republish the static document,
 * change the publishing intervals within bounds, or answer a ping on the status topic.
 */
export const commandSchema = z.discriminatedUnion('command', [
  z.strictObject({ command: z.literal('collect-snapshot'), requestId: z.string().max(64) }),
  z.strictObject({ command: z.literal('publish-static'), requestId: z.string().max(64) }),
  z.strictObject({
    command: z.literal('set-intervals'),
    requestId: z.string().max(64),
    snapshotSeconds: z.number().min(5).max(86_400).optional(),
    telemetrySeconds: z.number().min(0.5).max(3_600).optional(),
  }),
  z.strictObject({ command: z.literal('ping'), requestId: z.string().max(64) }),
]);
export type Command = z.output<typeof commandSchema>;
