import { utf8ToBytes } from '@noble/hashes/utils';
import { dryRunMessage } from '../../oracle/src/ingest/dryRunMessage';
import type { RejectionReason } from '../../oracle/src/ingest/rejections';
import type { TwinRecord } from '../../oracle/src/ingest/validateMessage';
import { keccak256 } from '../../twin-core/src/crypto/cryptoBackend';
import { fromHex, toHex, type Hex } from '../../twin-core/src/encoding/hex';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import { encodeDeviceIdentity, identityToContractStruct } from '../../twin-core/src/identity/deviceId';
import { snapshotLeafValues, hashSnapshotLeaf } from '../../twin-core/src/merkle/snapshotLeaf';
import { buildSnapshotTree } from '../../twin-core/src/merkle/snapshotTree';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { privateKeyToAddress } from '../../twin-core/src/signing/deviceKey';
import { canonicalMessage, signHash, signMessage } from '../../twin-core/src/signing/messageSignature';
import { encodeStaticDocument, hashStaticDocument } from '../../twin-core/src/static/staticDocument';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import {
  DEVICE_ADDRESS,
  DEVICE_ID,
  DEVICE_KEY,
  IDENTITY,
  looseJson,
  OTHER_KEY,
  RECEIVED_AT,
  SEQ,
  STATIC_DOCUMENT,
  vectorMessages,
} from './vectorMessages';
import { CHANNELS } from './channels';

/** The twin on chain the vectors are judged against: minted with the vectors' static document and device key. */
export const VECTOR_TWIN: TwinRecord = {
  deviceSigner: DEVICE_ADDRESS,
  state: 0,
  staticHash: hashStaticDocument(STATIC_DOCUMENT),
};

const EIP191_PREFIX = utf8ToBytes('\x19Ethereum Signed Message:\n32');
const bytesHex = (text: string) => toHex(utf8ToBytes(text));
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** What the oracle answers about `payload` on `topic`, received at {@link RECEIVED_AT}, for the vectors' twin. */
async function verdictOf(topic: string, payload: string) {
  return dryRunMessage({
    topic,
    payload: utf8ToBytes(payload),
    twins: { twin: (deviceId) => (deviceId === DEVICE_ID ? VECTOR_TWIN : undefined) },
    ledger: { last: () => undefined, willSeq: () => undefined },
    now: Date.parse(RECEIVED_AT),
  });
}

/** One signed-message vector: the message, every byte string and hash between it and the chain. */
async function messageVector(
  title: string,
  message: ReturnType<typeof vectorMessages>[keyof ReturnType<typeof vectorMessages>],
) {
  const topic = deviceTopic(DEVICE_ID, message.kind);
  const channel = CHANNELS.find((each) => each.kind === message.kind)!;
  const payload = looseJson(message);
  const { signed, stored, hash } = canonicalMessage(message);
  const digest = keccak256(new Uint8Array([...EIP191_PREFIX, ...fromHex(hash)]));
  const verdict = await verdictOf(topic, payload);
  if (verdict.verdict !== 'accepted')
    throw new Error(`the ${message.kind} vector is refused: ${JSON.stringify(verdict)}`);
  return {
    title,
    topic,
    qos: channel.qos,
    retain: channel.retain,
    payload,
    message,
    signedBytes: signed,
    signedBytesHex: bytesHex(signed),
    hash,
    eip191Digest: toHex(digest),
    sig: message.sig,
    signer: verdict.derived!.signer,
    storedBytes: stored,
    storedBytesHex: bytesHex(stored),
    oracle: { twin: VECTOR_TWIN, receivedAt: RECEIVED_AT, verdict: verdict.verdict },
  };
}

/** The vector files (`spec/vectors/<name>.json`), each a JSON value. */
export async function buildVectors(): Promise<Record<string, unknown>> {
  const messages = vectorMessages();
  const staticBytes = encodeStaticDocument(STATIC_DOCUMENT);
  const struct = identityToContractStruct(IDENTITY);
  const identityAbi = encodeDeviceIdentity(IDENTITY);

  const snapshot = await messageVector('A snapshot: stored on IPFS and anchored in a Merkle batch', messages.snapshot);
  const leaf = { deviceId: BigInt(DEVICE_ID), sequence: BigInt(SEQ.snapshot), snapshotHash: snapshot.hash };
  // A batch of two: this snapshot and another device's (a made-up hash), as the oracle anchors them.
  const other = { deviceId: 1n, sequence: 7n, snapshotHash: `0x${'11'.repeat(32)}` as Hex };
  const tree = buildSnapshotTree([leaf, other]);

  const telemetry = await messageVector('Telemetry: stored on IPFS in batches', messages.telemetry);
  const batch = `[${telemetry.storedBytes}]`;

  return {
    keys: {
      warning: 'Published test keys: anyone can sign with them. Never give one to a real device.',
      device: {
        privateKey: DEVICE_KEY,
        address: DEVICE_ADDRESS,
        derivation: "keccak256('twin-registry spec test key: device')",
      },
      anotherDevice: {
        privateKey: OTHER_KEY,
        address: privateKeyToAddress(OTHER_KEY),
        derivation: "keccak256('twin-registry spec test key: another device')",
      },
    },
    static: {
      ...(await messageVector('A static document, minted on chain and republished by the device', messages.static)),
      identity: {
        values: IDENTITY,
        contractStruct: { ...struct, memoryBytes: struct.memoryBytes.toString() },
        abiEncoding: toHex(identityAbi),
        deviceId: DEVICE_ID,
        deviceIdDecimal: BigInt(DEVICE_ID).toString(),
      },
      staticDocument: {
        bytes: canonicalJson(STATIC_DOCUMENT),
        bytesHex: toHex(staticBytes),
        staticHash: hashStaticDocument(STATIC_DOCUMENT),
        staticCid: rawCidV1(staticBytes),
      },
    },
    status: await messageVector('An online status, retained, announcing the last will', messages.status),
    telemetry: { ...telemetry, telemetryBatch: { bytes: batch, cid: rawCidV1(utf8ToBytes(batch)) } },
    snapshot: {
      ...snapshot,
      storedCid: rawCidV1(utf8ToBytes(snapshot.storedBytes)),
      merkle: {
        leafTypes: ['uint256', 'uint64', 'bytes32'],
        leafValues: snapshotLeafValues(leaf),
        leafHash: hashSnapshotLeaf(leaf),
        batch: {
          leaves: [snapshotLeafValues(leaf), snapshotLeafValues(other)],
          root: tree.root,
          proof: tree.proof(0),
        },
      },
    },
    rejections: await rejectionVectors(messages),
  };
}

type Case = { name: string; topic?: string; payload: string; reason: RejectionReason; field?: string };

/** Messages the oracle refuses, each one change away from a vector, with the reason and field it answers. */
async function rejectionVectors(messages: ReturnType<typeof vectorMessages>) {
  const telemetry = messages.telemetry;
  const { sig, ...unsigned } = telemetry;
  const r = sig.slice(2, 66);
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = Number.parseInt(sig.slice(130), 16);
  const telemetryTopic = deviceTopic(DEVICE_ID, 'telemetry');
  const staticTopic = deviceTopic(DEVICE_ID, 'static');
  const { sig: _staticSig, ...unsignedStatic } = messages.static;
  const otherDevice = `0x${'ab'.repeat(32)}` as Hex;
  const cases: Case[] = [
    {
      name: 'An unsigned field added at the top level',
      payload: canonicalJson({ ...telemetry, note: 'hello' }),
      reason: 'invalid-schema',
      field: 'note',
    },
    {
      name: 'An unsigned field added in the body',
      payload: canonicalJson({ ...telemetry, body: { ...telemetry.body, firmware: '4.2.0' } }),
      reason: 'invalid-schema',
      field: 'body.firmware',
    },
    {
      name: 'A required field missing',
      payload: canonicalJson({ ...telemetry, body: { ...telemetry.body, cpuPercent: undefined } }),
      reason: 'invalid-schema',
      field: 'body.cpuPercent',
    },
    {
      name: 'A static document whose MAC address is not in canonical form (upper case), signed as sent',
      topic: staticTopic,
      payload: canonicalJson(
        signMessage(
          {
            ...unsignedStatic,
            body: { ...STATIC_DOCUMENT, identity: { ...IDENTITY, macAddress: 'DC:A6:32:12:34:56' } },
          },
          DEVICE_KEY,
        ),
      ),
      reason: 'invalid-schema',
      field: 'body.identity.macAddress',
    },
    {
      name: 'A value changed after signing',
      payload: canonicalJson({ ...telemetry, body: { ...telemetry.body, cpuPercent: 13 } }),
      reason: 'wrong-signer',
      field: 'sig',
    },
    {
      name: 'Signed over the JSON as sent (JSON.stringify, unsorted) instead of its RFC 8785 canonical bytes',
      payload: canonicalJson({
        ...unsigned,
        sig: signHash(toHex(keccak256(utf8ToBytes(JSON.stringify(unsigned)))), DEVICE_KEY),
      }),
      reason: 'wrong-signer',
      field: 'sig',
    },
    {
      name: 'Signed by another key',
      payload: canonicalJson(vectorMessages(OTHER_KEY).telemetry),
      reason: 'wrong-signer',
      field: 'sig',
    },
    {
      name: 'The malleated twin of the valid signature (s above half the curve order, v flipped)',
      payload: canonicalJson({
        ...telemetry,
        sig: `0x${r}${(N - s).toString(16).padStart(64, '0')}${v === 27 ? '1c' : '1b'}`,
      }),
      reason: 'bad-signature',
      field: 'sig',
    },
    {
      name: 'v written 0/1 instead of 27/28',
      payload: canonicalJson({ ...telemetry, sig: `${sig.slice(0, 130)}${(v - 27).toString(16).padStart(2, '0')}` }),
      reason: 'bad-signature',
      field: 'sig',
    },
    {
      name: "Published on another device's topic",
      topic: deviceTopic(otherDevice, 'telemetry'),
      payload: canonicalJson(telemetry),
      reason: 'topic-mismatch',
      field: 'deviceId',
    },
    {
      name: 'A string holding a lone surrogate (valid JSON text, not I-JSON)',
      payload: canonicalJson(telemetry).replace('°C', '\\ud800'),
      reason: 'not-json',
    },
    {
      name: 'Signed an hour before it arrived',
      payload: canonicalJson(signMessage({ ...unsigned, ts: '2025-12-31T23:00:01.000Z' }, DEVICE_KEY)),
      reason: 'stale',
      field: 'ts',
    },
    {
      name: 'A device no twin exists for',
      topic: deviceTopic(otherDevice, 'telemetry'),
      payload: canonicalJson(signMessage({ ...unsigned, deviceId: otherDevice }, OTHER_KEY)),
      reason: 'unknown-twin',
      field: 'deviceId',
    },
    {
      name: "A static document whose identity is another device's",
      topic: staticTopic,
      payload: canonicalJson(
        signMessage(
          {
            ...unsignedStatic,
            body: { ...STATIC_DOCUMENT, identity: { ...IDENTITY, serialNumber: '10000000c0ffee43' } },
          },
          DEVICE_KEY,
        ),
      ),
      reason: 'device-id-mismatch',
      field: 'body.identity',
    },
    {
      name: 'A static document that is not the one minted (another hostname)',
      topic: staticTopic,
      payload: canonicalJson(
        signMessage(
          { ...unsignedStatic, body: { ...STATIC_DOCUMENT, os: { ...STATIC_DOCUMENT.os, hostname: 'ws2-shed' } } },
          DEVICE_KEY,
        ),
      ),
      reason: 'static-hash-mismatch',
      field: 'body',
    },
  ];
  const vectors = [];
  for (const item of cases) {
    const topic = item.topic ?? telemetryTopic;
    const verdict = await verdictOf(topic, item.payload);
    const expected = { reason: item.reason, ...(item.field === undefined ? {} : { field: item.field }) };
    const rejection = verdict.rejection;
    const got = { reason: rejection?.reason, ...(rejection?.field === undefined ? {} : { field: rejection.field }) };
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(
        `rejection vector "${item.name}": expected ${JSON.stringify(expected)}, got ${JSON.stringify(verdict)}`,
      );
    }
    vectors.push({ name: item.name, topic, payload: item.payload, receivedAt: RECEIVED_AT, expected });
  }
  return { twin: VECTOR_TWIN, vectors };
}
