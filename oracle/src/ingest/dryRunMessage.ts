import { utf8ToBytes } from '@noble/hashes/utils';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { MAX_RAW_BLOCK_BYTES, rawCidV1 } from '../../../twin-core/src/encoding/rawCid';
import { hashSnapshotLeaf } from '../../../twin-core/src/merkle/snapshotLeaf';
import { encodeStaticDocument } from '../../../twin-core/src/static/staticDocument';
import { checkMessage } from './checkMessage';
import { REJECTION_TRIGGERS, type Rejection } from './rejections';
import { judgeCheckedMessage, type SequenceLedger, type TwinDirectory } from './validateMessage';

/** Parameters of {@link dryRunMessage}. */
export type DryRunMessageParameters = {
  topic: string;
  payload: Uint8Array;
  /**
   * Where twins are looked up (the chain, or the oracle's mirror). Undefined: offline, only what the message alone
   * tells (size, JSON, schema, topic, signature recovery, time, a static document's DeviceID) is checked.
   */
  twins?: TwinDirectory;
  /** The oracle's replay state; undefined: the replay check is skipped (said so in the answer). */
  ledger?: SequenceLedger;
  /** The oracle's limits (defaults: its defaults, 1 MiB and 300 s). */
  maxPayloadBytes?: number;
  maxClockSkewMs?: number;
  /** When the message is taken to arrive, ms since the epoch. */
  now: number;
};

/** What the oracle would do with an accepted message: what it would store and anchor. */
export type DryRunDerived = {
  deviceId: string;
  kind: string;
  seq: number;
  /** The address that signed it. */
  signer: string;
  /** keccak256 of the signed bytes (the message's RFC 8785 canonical JSON without `sig`). */
  hash: Hex;
  /** Length in bytes of the stored bytes (canonical JSON of the whole message, UTF-8). */
  storedBytes: number;
  /** The CID of the stored bytes on IPFS (a snapshot), when they fit in one raw block (256 KiB). */
  storedCid?: string;
  /** A snapshot's Merkle leaf: keccak256(keccak256(abi.encode(deviceId, seq, hash))). */
  merkleLeaf?: Hex;
  /** A static document: the DeviceID its identity hashes to, its keccak256 (`staticHash`) and its CID. */
  staticDocument?: { deviceId: string; staticHash: string; cid: string };
};

/** The answer of {@link dryRunMessage}. */
export type DryRunResult = {
  /** `accepted`: the oracle would accept it; `refused`: it would not; `passes-offline`: nothing wrong offline. */
  verdict: 'accepted' | 'refused' | 'passes-offline';
  /** Why it would be refused: the reason code, its trigger, the detail, and the field at fault when one is. */
  rejection?: Rejection & { trigger: string };
  /** Checks that did not run, each with why. */
  skipped: string[];
  /** What the oracle would store and anchor (once the signature recovered). */
  derived?: DryRunDerived;
};

const DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576;
const DEFAULT_MAX_CLOCK_SKEW_MS = 300_000;
const EMPTY_LEDGER: SequenceLedger = { last: () => undefined, willSeq: () => undefined };

function derive(checked: Extract<ReturnType<typeof checkMessage>, { ok: true }>): DryRunDerived {
  const { message, signer, hash, canonical } = checked;
  const bytes = utf8ToBytes(canonical);
  return {
    deviceId: message.deviceId,
    kind: message.kind,
    seq: message.seq,
    signer,
    hash,
    storedBytes: bytes.length,
    ...(message.kind === 'snapshot'
      ? {
          ...(bytes.length <= MAX_RAW_BLOCK_BYTES ? { storedCid: rawCidV1(bytes) } : {}),
          merkleLeaf: hashSnapshotLeaf({
            deviceId: BigInt(message.deviceId),
            sequence: BigInt(message.seq),
            snapshotHash: hash,
          }),
        }
      : {}),
    ...(checked.staticDocument !== undefined && message.kind === 'static'
      ? {
          staticDocument: {
            deviceId: checked.staticDocument.deviceId,
            staticHash: checked.staticDocument.hash,
            cid: rawCidV1(encodeStaticDocument(message.body)),
          },
        }
      : {}),
  };
}

/**
 * What the oracle would answer about a device message, accepting nothing and writing nothing: the same checks, in
 * the same order, as the oracle's ingest (`checkMessage` then `judgeCheckedMessage`), with the reason code, its
 * trigger and the field at fault for a refusal, and for a message that gets as far as its signature what the oracle
 * would store (the canonical bytes and their CID) and anchor (the Merkle leaf). Pure but for the twin lookup, so an
 * API endpoint is a thin wrapper (parse the request, pass the chain mirror and the ledger, return this as JSON), and
 * the `check-message` CLI reads the twin from the chain.
 *
 * @example
 * const result = await dryRunMessage({ topic, payload: readFileSync('msg.json'), now: Date.now() }) // offline
 * if (result.verdict === 'refused') console.log(result.rejection.reason, result.rejection.field)
 */
export async function dryRunMessage(parameters: DryRunMessageParameters): Promise<DryRunResult> {
  const maxClockSkewMs = parameters.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  const refused = (rejection: Rejection, skipped: string[], derived?: DryRunDerived): DryRunResult => ({
    verdict: 'refused',
    rejection: { ...rejection, trigger: REJECTION_TRIGGERS[rejection.reason] },
    skipped,
    ...(derived === undefined ? {} : { derived }),
  });
  const checked = checkMessage({
    topic: parameters.topic,
    payload: parameters.payload,
    maxPayloadBytes: parameters.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
  });
  if (!checked.ok) return refused(checked.rejection, []);
  const derived = derive(checked);
  const skipped = parameters.ledger === undefined ? ["replay: no sequence ledger given (the oracle's own state)"] : [];

  if (parameters.twins === undefined) {
    skipped.push(
      'unknown-twin, deactivated-twin, wrong-signer, static-hash-mismatch: offline (compare `derived.signer` with ' +
        "the twin's deviceSigner yourself)",
    );
    // The stateless part of the judgement: the time, and a static document's own DeviceID.
    const twin = { deviceSigner: checked.signer, state: 0, staticHash: checked.staticDocument?.hash ?? '' };
    const verdict = await judgeCheckedMessage(checked, {
      twins: { twin: () => twin },
      ledger: parameters.ledger ?? EMPTY_LEDGER,
      maxClockSkewMs,
      now: parameters.now,
    });
    return verdict.ok ? { verdict: 'passes-offline', skipped, derived } : refused(verdict.rejection, skipped, derived);
  }
  const verdict = await judgeCheckedMessage(checked, {
    twins: parameters.twins,
    ledger: parameters.ledger ?? EMPTY_LEDGER,
    maxClockSkewMs,
    now: parameters.now,
  });
  return verdict.ok ? { verdict: 'accepted', skipped, derived } : refused(verdict.rejection, skipped, derived);
}

/**
 * The topic a message names itself (`twins/{deviceId}/{kind}`), for a dry run given no topic; a placeholder when the
 * payload does not say (the check then says why).
 *
 * @example
 * messageTopic(Buffer.from('{"deviceId":"0xab…","kind":"snapshot"}')) // 'twins/0xab…/snapshot'
 */
export function messageTopic(payload: Uint8Array): string {
  try {
    const { deviceId, kind } = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      deviceId?: unknown;
      kind?: unknown;
    };
    if (typeof deviceId === 'string' && typeof kind === 'string') return `twins/${deviceId}/${kind}`;
  } catch {
    // Not JSON: the check itself says so.
  }
  return 'twins/unknown/unknown';
}
