import { z } from 'zod';
import { snapshotMessageSchema, telemetryMessageSchema } from '../../../twin-core/src/messages/envelope';
import { snapshotBodySchema } from '../../../twin-core/src/messages/snapshot';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { InvalidAnalyzerMessageError } from '../errors';

const envelopeFields = { kind: true, deviceId: true, seq: true, ts: true } as const;

/**
 * What the analyzer reads: the twin-core envelopes `{ kind, deviceId, seq, ts, body }` of telemetry (whole body)
 * and snapshots (the `processes`, `network` and `label` sections; the rest is not read, so not validated). Other
 * fields (`v`, `sig`) are ignored: signatures are checked upstream. Static and status messages are accepted and
 * ignored.
 */
export const analyzerMessageSchema = z.discriminatedUnion('kind', [
  // The message schemas are strict (a received message may hold nothing unknown); the analyzer reads a part of a
  // message checked upstream, so what it does not read is stripped here, not refused.
  telemetryMessageSchema.pick({ ...envelopeFields, body: true }).strip(),
  snapshotMessageSchema
    .pick(envelopeFields)
    .extend({ body: snapshotBodySchema.pick({ processes: true, network: true, label: true }).strip() })
    .strip(),
  z.object({ kind: z.enum(['static', 'status']) }),
]);

/** A message as the analyzer reads it. */
export type AnalyzerMessage = z.output<typeof analyzerMessageSchema>;
/** The telemetry and snapshot messages (what is analysed). */
export type AnalyzedMessage = Extract<AnalyzerMessage, { kind: 'telemetry' | 'snapshot' }>;

/**
 * Validates a device message for the analyzer.
 *
 * @example
 * parseAnalyzerMessage(JSON.parse(mqttPayload)) // { kind: 'telemetry', deviceId: '0x…', seq: 12, ts: '…', body: {…} }
 */
export function parseAnalyzerMessage(input: unknown): AnalyzerMessage {
  const result = analyzerMessageSchema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidAnalyzerMessageError('Invalid device message for the analyzer.', {
    metaMessages: formatIssues(result.error.issues, 'message').slice(0, 10),
  });
}
