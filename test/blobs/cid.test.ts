import { expect } from 'chai';
import { MAX_RAW_BLOCK_BYTES, rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import { computeBlobCid, parseBlobCid, InvalidCidError } from '../../blobs/src';
import { pseudoRandomBytes, referenceDag } from './referenceDag';
import { thrownBy } from '../helpers/thrownBy';

const text = (value: string) => new TextEncoder().encode(value);

describe('blobs: blob CIDs', () => {
  it('names up to 256 KiB exactly as twin-core rawCidV1 (CIDv1, raw, sha2-256, base32)', async () => {
    const payloads = [
      new Uint8Array(0),
      text('{"deviceId":"0x01","seq":1}'),
      pseudoRandomBytes(150_000, 1),
      pseudoRandomBytes(MAX_RAW_BLOCK_BYTES, 2),
    ];
    for (const payload of payloads) {
      const cid = await computeBlobCid(payload);
      expect(cid, `${payload.length} bytes`).to.equal(rawCidV1(payload));
      expect(cid).to.match(/^bafkrei[a-z2-7]{52}$/);
    }
  });

  it("gives Kubo's published CID for 'hello world' with --cid-version 1 --raw-leaves", async () => {
    // kubo test/cli/add_test.go: shortStringCidV1 (cidv1 - raw - sha2-256)
    expect(await computeBlobCid(text('hello world'))).to.equal(
      'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e',
    );
  });

  it('names more than 256 KiB as the UnixFS DAG of 256 KiB raw leaves that `ipfs add` builds', async () => {
    for (const length of [MAX_RAW_BLOCK_BYTES + 1, 600 * 1024, 3 * 1024 * 1024 + 17]) {
      const payload = pseudoRandomBytes(length, length);
      const expected = referenceDag(payload);
      expect(expected.leaves).to.have.length(Math.ceil(length / MAX_RAW_BLOCK_BYTES));
      const cid = await computeBlobCid(payload);
      expect(cid, `${length} bytes`).to.equal(expected.cid);
      expect(cid).to.match(/^bafybei/);
    }
  });

  it('parses the CIDs it makes and refuses CIDv0, other codecs, other hashes and garbage', () => {
    expect(parseBlobCid(rawCidV1(text('x'))).code).to.equal(0x55);
    expect(parseBlobCid(referenceDag(pseudoRandomBytes(300_000, 3)).cid).code).to.equal(0x70);
    const refused = {
      Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD: /CIDv0/,
      bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe: /codec 0x71/,
      bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6:
        /multihash 0x13/,
      'not-a-cid': /not a CID/,
    };
    for (const [cid, reason] of Object.entries(refused)) {
      const error = thrownBy(() => parseBlobCid(cid));
      expect(error, cid).to.be.instanceOf(InvalidCidError);
      expect(error.message).to.match(reason).and.to.include(cid);
    }
  });
});
