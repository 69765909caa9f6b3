import { z } from 'zod';
import { ENTITY_ROLES, ENTITY_STATUSES, TWIN_STATES } from '../../../store/src';
import { telemetryBodySchema } from '../../../twin-core/src/messages/telemetry';
import { addressSchema, hashSchema, pageOf, timeSchema } from './common';

const address = z.string().meta({ description: 'Checksummed address' });
const deviceId = z.string().meta({ description: 'DeviceID, 0x + 64 hex' });

export const twinStateSchema = z.enum(TWIN_STATES).meta({ id: 'TwinState' });

/** A twin's batch, as far as its anchoring went. */
export const batchSchema = z
  .object({
    id: z.number().int(),
    chainBatchId: z.number().int().nullable(),
    root: z.string().nullable(),
    manifestCid: z.string().nullable(),
    leafCount: z.number().int(),
    status: z.enum(['open', 'submitted', 'confirmed', 'failed']),
    txHash: z.string().nullable(),
    block: z.number().int().nullable(),
    confirmedAt: timeSchema.nullable(),
  })
  .meta({ id: 'Batch' });

/** One accepted snapshot: where it is on IPFS and whether its batch root is on chain yet. */
export const snapshotSchema = z
  .object({
    deviceId,
    seq: z.number().int(),
    collectedAt: timeSchema,
    hash: z.string().meta({ description: 'The snapshot hash committed in the Merkle leaf' }),
    cid: z.string().meta({ description: 'The signed snapshot message on IPFS' }),
    url: z
      .string()
      .meta({ description: "Its exact bytes on this API's IPFS trustless gateway (`GET /ipfs/{cid}`, private)" }),
    receivedAt: timeSchema,
    batchId: z.number().int().nullable(),
    anchored: z.boolean().meta({ description: "True once its batch's anchoring transaction is confirmed" }),
    batch: batchSchema.nullable(),
  })
  .meta({ id: 'Snapshot' });

/** A twin as listed: the on-chain record as mirrored, with its latest snapshot and behaviour label. */
export const twinSchema = z
  .object({
    deviceId,
    owner: address,
    manufacturer: address,
    deviceSigner: address,
    state: twinStateSchema,
    forSale: z.boolean(),
    price: z.string().meta({ description: 'Listing price in wei (0 when not for sale)' }),
    staticHash: z.string(),
    staticCid: z.string(),
    staticUrl: z
      .string()
      .meta({ description: "The static document's exact bytes on this API's IPFS gateway (`GET /ipfs/{cid}`)" }),
    access: z.enum(['full', 'public']).meta({
      description:
        "`full`: the reader sees device internals (the twin's owner, its manufacturer, a security entity, or open " +
        'reads); `public`: the chain record, states, histories, hashes, CIDs and proofs only',
    }),
    updateCount: z.number().int(),
    reviewRequested: z.boolean(),
    mintedBlock: z.number().int(),
    updatedBlock: z.number().int(),
    latestSnapshot: z.object({ seq: z.number().int(), collectedAt: timeSchema, anchored: z.boolean() }).nullable(),
    behaviour: z.string().nullable().meta({
      description: "The latest telemetry's ground-truth label (simulated devices only; null when access is public)",
    }),
    anomalous: z.boolean().nullable(),
  })
  .meta({ id: 'Twin' });

export const twinPageSchema = pageOf(twinSchema, 'TwinPage');

export const entitySchema = z
  .object({
    account: address,
    entityId: z.number().int().nullable(),
    role: z.enum(ENTITY_ROLES),
    status: z.enum(ENTITY_STATUSES),
    name: z.string(),
    profileHash: z.string(),
    profileCid: z.string(),
    registeredBlock: z.number().int(),
    updatedBlock: z.number().int(),
  })
  .meta({ id: 'Entity' });

export const updateSchema = z
  .object({
    deviceId,
    index: z.number().int(),
    component: z.string(),
    version: z.string(),
    artifactHash: z.string(),
    artifactCid: z.string(),
    block: z.number().int(),
    tx: z.string(),
  })
  .meta({ id: 'TwinUpdate' });

export const stateChangeSchema = z
  .object({
    deviceId,
    previous: twinStateSchema,
    new: twinStateSchema,
    by: address,
    reason: z.string(),
    block: z.number().int(),
    tx: z.string(),
    logIndex: z.number().int(),
  })
  .meta({ id: 'TwinStateChange' });

export const telemetryReadingSchema = z
  .object({ seq: z.number().int(), ts: timeSchema, body: telemetryBodySchema })
  .meta({ id: 'TelemetryReading' });

export const alertSchema = z
  .object({
    alertId: z.string(),
    deviceId,
    behaviour: z.string().meta({ description: 'The abnormal behaviour detected, e.g. `connection-flood`' }),
    score: z.number(),
    status: z.enum(['open', 'closed']),
    action: z.string().meta({ description: '`notified`, `suspended` or `reactivated`' }),
    window: z.object({ from: timeSchema, to: timeSchema }),
    evidenceCid: z.string().meta({ description: 'The evidence on IPFS' }),
    tx: z.string().nullable(),
    by: address,
    firstAt: timeSchema,
    updatedAt: timeSchema,
  })
  .meta({ id: 'SecurityAlert' });

/** `GET /twins/:deviceId`: the merged view of chain, IPFS and the latest data. */
export const twinViewSchema = z
  .object({
    twin: twinSchema,
    static: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'The static document from IPFS (its CID is the one on chain)' }),
    staticError: z.string().nullable().meta({ description: 'Why the static document could not be read' }),
    latestSnapshot: snapshotSchema.nullable(),
    latestTelemetry: telemetryReadingSchema
      .nullable()
      .meta({ description: 'Null when `twin.access` is `public` (device internals are private)' }),
    updates: z.array(updateSchema),
    stateHistory: z.array(stateChangeSchema),
    alerts: z.array(alertSchema).meta({ description: 'Security alerts about the device, newest first (at most 20)' }),
    owner: entitySchema.nullable(),
    manufacturer: entitySchema.nullable(),
  })
  .meta({ id: 'TwinView' });

export const snapshotPageSchema = pageOf(snapshotSchema, 'SnapshotPage');

export const snapshotDocumentSchema = z
  .object({
    snapshot: snapshotSchema,
    message: z.record(z.string(), z.unknown()).meta({ description: 'The signed snapshot message, as stored on IPFS' }),
  })
  .meta({ id: 'SnapshotDocument' });

export const proofSchema = z
  .object({
    deviceId,
    seq: z.number().int(),
    snapshotHash: z.string(),
    leaf: z.string().meta({ description: 'The double-hashed Merkle leaf' }),
    proof: z.array(z.string()),
    root: z.string(),
    batch: batchSchema,
    verified: z.boolean().meta({ description: 'SnapshotAnchor.verifySnapshot, called live' }),
    verifiedAtBlock: z.number().int(),
    contract: z.string().meta({ description: 'The SnapshotAnchor address the proof was checked against' }),
  })
  .meta({ id: 'SnapshotProof' });

export const notificationSchema = z
  .object({
    id: z.number().int(),
    owner: address,
    deviceId,
    kind: z.string(),
    payload: z.unknown(),
    createdAt: timeSchema,
    block: z.number().int().nullable(),
    tx: z.string().nullable(),
    logIndex: z.number().int().nullable(),
  })
  .meta({ id: 'Notification' });

export const listTwinsQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(20),
  owner: addressSchema.optional(),
  manufacturer: addressSchema.optional(),
  state: twinStateSchema.optional(),
  forSale: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
});

export const listSnapshotsQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(20),
  from: timeSchema.optional().meta({ description: 'Collected at or after' }),
  to: timeSchema.optional().meta({ description: 'Collected at or before' }),
});

export { hashSchema };
