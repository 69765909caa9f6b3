import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { AbiCoder, getBytes, hashMessage, keccak256, toUtf8Bytes, verifyMessage, Wallet } from 'ethers';
import { dryRunMessage } from '../../oracle/src/ingest/dryRunMessage';
import { REJECTION_REASONS } from '../../oracle/src/ingest/rejections';
import { buildAsyncApi, buildSpecFiles, CHANNELS, jsonSchemaOf, SPEC_DIR } from '../../spec/src';
import { objectSchemasIn } from '../../spec/src/jsonSchema';
import { deviceMessageSchema } from '../../twin-core/src/messages/envelope';

// Second implementations, independent of twin-core: JCS and CIDs (ESM packages, required synchronously by Node 24).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const canonicalize = (require('canonicalize') as { default: (value: unknown) => string }).default;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CID } = require('multiformats/cid') as typeof import('multiformats/cid');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sha256 } = require('multiformats/hashes/sha2') as typeof import('multiformats/hashes/sha2');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const raw = require('multiformats/codecs/raw') as typeof import('multiformats/codecs/raw');

const read = (path: string) => readFileSync(join(SPEC_DIR, path), 'utf8');
const vector = (name: string) => JSON.parse(read(`vectors/${name}.json`));
const rawCid = async (text: string) => CID.create(1, raw.code, await sha256.digest(toUtf8Bytes(text))).toString();
const KINDS = ['static', 'status', 'telemetry', 'snapshot'] as const;

describe('the spec folder (spec/)', function () {
  it('is exactly what npm run spec generates from the code (AsyncAPI, schemas, vectors, ABIs, README tables)', async function () {
    const files = await buildSpecFiles();
    const stale = Object.entries(files)
      .filter(([path, content]) => {
        try {
          return read(path) !== content;
        } catch {
          return true;
        }
      })
      .map(([path]) => path);
    expect(stale, `stale spec files (run npm run spec): ${stale.join(', ')}`).to.deep.equal([]);
    expect(Object.keys(files)).to.include.members(['asyncapi.json', 'abi/TwinRegistry.json', 'vectors/snapshot.json']);
  });

  describe('the AsyncAPI document', function () {
    it('is a valid AsyncAPI 3.0 document for the official parser (no error, no warning)', async function () {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Parser } = require('@asyncapi/parser') as { Parser: new () => { parse(text: string): Promise<any> } };
      const { document, diagnostics } = await new Parser().parse(read('asyncapi.json'));
      const serious = (diagnostics as { severity: number; message: string; path: string[] }[]).filter(
        (diagnostic) => diagnostic.severity <= 1,
      );
      expect(serious.map((item) => `${item.path.join('.')}: ${item.message}`)).to.deep.equal([]);
      expect(document).to.not.equal(undefined);
      const addresses = document
        .channels()
        .all()
        .map((channel: { address(): string }) => channel.address());
      expect(addresses).to.have.members(CHANNELS.map((channel) => `twins/{deviceId}/${channel.kind}`));
      for (const operation of document.operations().all()) {
        const mqtt = operation.bindings().get('mqtt').value();
        expect(mqtt.qos, operation.id()).to.equal(1);
      }
    });

    it('names, per channel, its publishers and subscribers, QoS and retain as the code uses them', function () {
      const document = buildAsyncApi() as { operations: Record<string, any> };
      const of = (kind: string) =>
        Object.values(document.operations).filter((op) => op.channel.$ref === `#/channels/${kind}`);
      const retain = (kind: string) => of(kind).map((op) => op.bindings.mqtt.retain);
      expect(retain('static')).to.deep.equal([true, true]);
      expect(retain('status')).to.deep.equal([true, true, true]);
      expect(retain('twin')).to.deep.equal([true, true]);
      expect(retain('reply')).to.deep.equal([false, false]);
      expect(retain('snapshot')).to.deep.equal([false, false, false]);
      expect(Object.keys(document.operations)).to.include.members([
        'devicePublishesSnapshot',
        'oracleReceivesSnapshot',
        'securityReceivesTelemetry',
        'apiPublishesCommand',
        'deviceReceivesCommand',
        'securityPublishesAlerts',
        'oraclePublishesNotifications',
        'ownerReceivesNotifications',
      ]);
    });

    it('holds, as payload schemas, the JSON Schemas generated from the zod schemas receivers validate with', function () {
      const document = buildAsyncApi() as { components: { schemas: Record<string, unknown> } };
      for (const channel of CHANNELS) {
        expect(document.components.schemas[channel.schemaName]).to.deep.equal(jsonSchemaOf(channel.schema));
      }
    });

    it('leaves no object open: every object schema of every payload says additionalProperties (strict)', function () {
      for (const channel of CHANNELS) {
        const open = objectSchemasIn(jsonSchemaOf(channel.schema)).filter(
          ({ schema }) => schema.additionalProperties === undefined,
        );
        expect(open.map(({ pointer }) => `${channel.kind}${pointer}`)).to.deep.equal([]);
      }
    });
  });

  describe('the JSON Schemas (ajv, draft-07)', function () {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    it("accept each vector's message and refuse the same with an unknown field", function () {
      for (const kind of KINDS) {
        const validate = ajv.compile(JSON.parse(read(`schemas/${kind}.json`)));
        const { message } = vector(kind);
        expect(validate(message), `${kind}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
        expect(validate({ ...message, extra: 1 })).to.equal(false);
        expect(validate({ ...message, body: { ...message.body, extra: 1 } })).to.equal(false);
      }
    });
  });

  describe('the test vectors, checked with independent implementations', function () {
    const keys = vector('keys');

    it('use published test keys derived as they say', function () {
      for (const [label, key] of [
        ['device', keys.device],
        ['another device', keys.anotherDevice],
      ]) {
        expect(key.privateKey).to.equal(keccak256(toUtf8Bytes(`twin-registry spec test key: ${label}`)));
        expect(new Wallet(key.privateKey).address).to.equal(key.address);
      }
    });

    for (const kind of KINDS) {
      it(`${kind}: payload → message → RFC 8785 bytes → keccak256 → EIP-191 → signer (canonicalize, ethers)`, function () {
        const item = vector(kind);
        expect(JSON.parse(item.payload)).to.deep.equal(item.message);
        const { sig, ...unsigned } = item.message;
        expect(item.signedBytes).to.equal(canonicalize(unsigned));
        expect(item.storedBytes).to.equal(canonicalize(item.message));
        expect(item.signedBytesHex).to.equal(`0x${Buffer.from(item.signedBytes, 'utf8').toString('hex')}`);
        expect(item.storedBytesHex).to.equal(`0x${Buffer.from(item.storedBytes, 'utf8').toString('hex')}`);
        expect(item.hash).to.equal(keccak256(toUtf8Bytes(item.signedBytes)));
        expect(item.eip191Digest).to.equal(hashMessage(getBytes(item.hash)));
        expect(verifyMessage(getBytes(item.hash), sig)).to.equal(keys.device.address);
        expect(item.signer).to.equal(keys.device.address);
        expect(item.topic).to.equal(`twins/${item.message.deviceId}/${kind}`);
        expect(deviceMessageSchema.safeParse(item.message).success).to.equal(true);
      });
    }

    it('static: the ABI-encoded identity hashes to the DeviceID, the document to the staticHash and CID', async function () {
      const { identity, staticDocument, message } = vector('static');
      const struct = identity.contractStruct;
      const encoded = AbiCoder.defaultAbiCoder().encode(
        ['tuple(bytes6,string,string,string,string,uint64,string,string)'],
        [
          [
            struct.macAddress,
            struct.serialNumber,
            struct.manufacturer,
            struct.hardwareModel,
            struct.hardwareRevision,
            struct.memoryBytes,
            struct.osName,
            struct.osVersion,
          ],
        ],
      );
      expect(identity.abiEncoding).to.equal(encoded);
      expect(identity.deviceId).to.equal(keccak256(encoded));
      expect(BigInt(identity.deviceIdDecimal)).to.equal(BigInt(identity.deviceId));
      expect(message.deviceId).to.equal(identity.deviceId);
      expect(staticDocument.bytes).to.equal(canonicalize(message.body));
      expect(staticDocument.staticHash).to.equal(keccak256(toUtf8Bytes(staticDocument.bytes)));
      expect(staticDocument.staticCid).to.equal(await rawCid(staticDocument.bytes));
    });

    it('snapshot: the stored bytes CID, the Merkle leaf and a batch proof (multiformats, OpenZeppelin)', async function () {
      const { storedBytes, storedCid, merkle, hash, message } = vector('snapshot');
      expect(storedCid).to.equal(await rawCid(storedBytes));
      expect(merkle.leafValues).to.deep.equal([BigInt(message.deviceId).toString(), String(message.seq), hash]);
      const tree = StandardMerkleTree.of(merkle.batch.leaves, merkle.leafTypes);
      expect(tree.leafHash(merkle.leafValues)).to.equal(merkle.leafHash);
      expect(tree.root).to.equal(merkle.batch.root);
      expect(
        StandardMerkleTree.verify(merkle.batch.root, merkle.leafTypes, merkle.leafValues, merkle.batch.proof),
      ).to.equal(true);
    });

    it('telemetry: a batch is the JSON array of the stored bytes, named by its CID', async function () {
      const { storedBytes, telemetryBatch } = vector('telemetry');
      expect(telemetryBatch.bytes).to.equal(`[${storedBytes}]`);
      expect(telemetryBatch.cid).to.equal(await rawCid(telemetryBatch.bytes));
      expect(canonicalize(JSON.parse(telemetryBatch.bytes))).to.equal(telemetryBatch.bytes);
    });

    it("are accepted by the oracle's checks, and each rejection vector gets its reason and field", async function () {
      const { twin, vectors } = vector('rejections');
      const judge = (topic: string, payload: string, receivedAt: string) =>
        dryRunMessage({
          topic,
          payload: Buffer.from(payload, 'utf8'),
          twins: { twin: (deviceId) => (deviceId === vector('static').message.deviceId ? twin : undefined) },
          ledger: { last: () => undefined, willSeq: () => undefined },
          now: Date.parse(receivedAt),
        });
      for (const kind of KINDS) {
        const item = vector(kind);
        const result = await judge(item.topic, item.payload, item.oracle.receivedAt);
        expect(result.verdict, kind).to.equal('accepted');
        expect(result.derived?.hash).to.equal(item.hash);
        if (kind === 'snapshot') expect(result.derived?.merkleLeaf).to.equal(item.merkle.leafHash);
      }
      const reasons = new Set<string>();
      for (const item of vectors) {
        const result = await judge(item.topic, item.payload, item.receivedAt);
        expect({ reason: result.rejection?.reason, field: result.rejection?.field }, item.name).to.deep.equal({
          reason: item.expected.reason,
          field: item.expected.field,
        });
        reasons.add(item.expected.reason);
      }
      expect([...reasons]).to.include.members(['invalid-schema', 'wrong-signer', 'bad-signature', 'stale', 'not-json']);
    });
  });

  it('documents every rejection reason in the README, and no other', function () {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('<!-- spec:rejections'), readme.indexOf('<!-- /spec:rejections -->'));
    const documented = [...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((match) => match[1]);
    expect(documented).to.deep.equal([...REJECTION_REASONS]);
  });
});
