import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import { MAX_RAW_BLOCK_BYTES, rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import {
  encodeStaticDocument,
  hashStaticDocument,
  InvalidStaticDocumentError,
  parseStaticDocument,
} from '../../twin-core/src/static/staticDocument';
import { exampleDocuments } from '../fixtures';
import { thrownBy } from '../helpers/thrownBy';

type Json = Record<string, unknown>;

/** A deep copy of the first example's raw JSON, to break. */
function exampleJson(): Json {
  const [first] = exampleDocuments();
  return structuredClone(first!.json) as Json;
}

/** The same JSON value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, member]) => [key, reverseKeys(member)]));
  }
  return value;
}


/** Decodes RFC 4648 base32 (lower case, no padding): an implementation independent of rawCidV1's encoder. */
function decodeBase32(text: string): Uint8Array {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bits = [...text].map((char) => {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    return index.toString(2).padStart(5, '0');
  });
  const all = bits.join('');
  const bytes: number[] = [];
  for (let offset = 0; offset + 8 <= all.length; offset += 8) bytes.push(Number.parseInt(all.slice(offset, offset + 8), 2));
  return Uint8Array.from(bytes);
}

describe('Static document', function () {
  describe('when parsing', function () {
    describe('when the document is one of the examples', function () {
      for (const example of exampleDocuments()) {
        it(`accepts ${example.file.split('/').pop()}`, function () {
          const document = parseStaticDocument(example.json);
          expect(document.schemaVersion).to.equal(1);
          expect(document.identity.macAddress).to.match(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
          expect(document).to.deep.equal(example.document);
        });
      }

      it('normalises the identity (trimmed serial, colon MAC)', function () {
        const weather = exampleDocuments().find((example) => example.file.endsWith('pi4-weather.json'))!;
        expect((weather.json as { identity: { serialNumber: string } }).identity.serialNumber).to.equal('  10000000ffee0011 ');
        expect(weather.document.identity.serialNumber).to.equal('10000000ffee0011');
        expect(weather.document.identity.macAddress).to.equal('e4:5f:01:77:88:99');
      });
    });

    describe('when a required field is missing', function () {
      it('throws InvalidStaticDocumentError naming os.hostname', function () {
        const json = exampleJson();
        delete (json.os as Json).hostname;
        const error = thrownBy(() => parseStaticDocument(json));
        expect(error).to.be.instanceOf(InvalidStaticDocumentError);
        expect(error.message).to.match(/^os\.hostname: /m);
      });

      it('throws InvalidStaticDocumentError naming identity.serialNumber', function () {
        const json = exampleJson();
        delete (json.identity as Json).serialNumber;
        const error = thrownBy(() => parseStaticDocument(json));
        expect(error).to.be.instanceOf(InvalidStaticDocumentError);
        expect(error.message).to.match(/^identity\.serialNumber: /m);
      });

      it('throws InvalidStaticDocumentError naming collectedAt', function () {
        const json = exampleJson();
        delete json.collectedAt;
        expect(() => parseStaticDocument(json)).to.throw(InvalidStaticDocumentError, /^collectedAt: /m);
      });
    });

    describe('when the schema version is wrong', function () {
      for (const schemaVersion of [2, 0, '1', null]) {
        it(`throws InvalidStaticDocumentError naming schemaVersion for ${JSON.stringify(schemaVersion)}`, function () {
          const error = thrownBy(() => parseStaticDocument({ ...exampleJson(), schemaVersion }));
          expect(error).to.be.instanceOf(InvalidStaticDocumentError);
          expect(error.message).to.match(/^schemaVersion: /m);
        });
      }
    });

    describe('when a value is malformed', function () {
      it('names network.staticIp for an address that is not IPv4 or IPv6', function () {
        const json = exampleJson();
        (json.network as Json).staticIp = '192.168.1.300';
        expect(() => parseStaticDocument(json)).to.throw(InvalidStaticDocumentError, /^network\.staticIp: /m);
      });

      it('names identity.macAddress for a bad MAC', function () {
        const json = exampleJson();
        (json.identity as Json).macAddress = 'not-a-mac';
        expect(() => parseStaticDocument(json)).to.throw(InvalidStaticDocumentError, /^identity\.macAddress: /m);
      });

      it('refuses something that is not an object', function () {
        expect(() => parseStaticDocument(null)).to.throw(InvalidStaticDocumentError, /^document: /m);
      });
    });
  });

  describe('when writing canonical JSON', function () {
    it('sorts object keys at every depth and writes no whitespace', function () {
      expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).to.equal(
        '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
      );
    });

    it('sorts by UTF-16 code units (upper case before lower case, longer after prefix)', function () {
      expect(canonicalJson({ b: 0, a: 0, B: 0, aa: 0, '\u00e9': 0, '': 0 })).to.equal('{"":0,"B":0,"a":0,"aa":0,"b":0,"\u00e9":0}');
    });

    it('drops undefined members of objects and writes undefined array items as null', function () {
      expect(canonicalJson({ a: undefined, b: 1, c: { d: undefined } })).to.equal('{"b":1,"c":{}}');
      expect(canonicalJson([1, undefined, 2])).to.equal('[1,null,2]');
    });

    it('is the same whatever order the keys were inserted in', function () {
      const json = exampleJson();
      const reordered = reverseKeys(json);
      expect(Object.keys(reordered as Json)).to.deep.equal(Object.keys(json).reverse());
      expect(canonicalJson(reordered)).to.equal(canonicalJson(json));
      expect(canonicalJson({ x: 1, y: 2 })).to.equal(canonicalJson({ y: 2, x: 1 }));
    });

    it('writes scalars as JSON.stringify does', function () {
      expect(canonicalJson('é "q" \n')).to.equal(JSON.stringify('é "q" \n'));
      expect(canonicalJson(1.5e300)).to.equal('1.5e+300');
      expect(canonicalJson(-0)).to.equal('0');
      expect(canonicalJson(null)).to.equal('null');
      expect(canonicalJson(false)).to.equal('false');
    });

    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      it(`refuses ${value}, even nested`, function () {
        expect(() => canonicalJson(value)).to.throw(TypeError, /cannot hold the number/);
        expect(() => canonicalJson({ a: [value] })).to.throw(TypeError, /cannot hold the number/);
      });
    }

    it('refuses a bigint, even nested', function () {
      expect(() => canonicalJson(1n)).to.throw(TypeError, /bigint/);
      expect(() => canonicalJson({ memoryBytes: 4294967296n })).to.throw(TypeError, /bigint/);
    });

    it('refuses a function, a symbol and a top-level undefined', function () {
      expect(() => canonicalJson(() => 1)).to.throw(TypeError, /function/);
      expect(() => canonicalJson(Symbol('s'))).to.throw(TypeError, /symbol/);
      expect(() => canonicalJson(undefined)).to.throw(TypeError, /undefined/);
    });
  });

  describe('when hashing a static document', function () {
    for (const example of exampleDocuments()) {
      it(`equals keccak256 of the canonical JSON bytes for ${example.file.split('/').pop()}`, function () {
        const expected = ethers.keccak256(ethers.toUtf8Bytes(canonicalJson(example.document)));
        expect(hashStaticDocument(example.document)).to.equal(expected);
        expect(ethers.toUtf8String(encodeStaticDocument(example.document))).to.equal(canonicalJson(example.document));
      });
    }

    it('does not depend on the key order of the input JSON', function () {
      const json = exampleJson();
      const reorderedText = JSON.stringify(reverseKeys(json), null, 4);
      expect(reorderedText).not.to.equal(JSON.stringify(json, null, 4));
      const original = hashStaticDocument(parseStaticDocument(json));
      expect(hashStaticDocument(parseStaticDocument(JSON.parse(reorderedText)))).to.equal(original);
    });

    it('changes when a non-identity value (the hostname) changes', function () {
      const json = exampleJson();
      const original = hashStaticDocument(parseStaticDocument(json));
      (json.os as Json).hostname = 'garden-pi-2';
      expect(hashStaticDocument(parseStaticDocument(json))).not.to.equal(original);
    });

    it('does not change when identity whitespace is added (the hash covers the normalised document)', function () {
      const json = exampleJson();
      const original = hashStaticDocument(parseStaticDocument(json));
      (json.identity as Json).serialNumber = ` ${(json.identity as Json).serialNumber as string} `;
      expect(hashStaticDocument(parseStaticDocument(json))).to.equal(original);
    });
  });

  describe('when computing a raw CIDv1', function () {
    it('gives the well-known CID of empty input', function () {
      expect(rawCidV1(new Uint8Array(0))).to.equal('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku');
    });

    it("gives the well-known CID of utf8 'hello world'", function () {
      expect(rawCidV1(ethers.toUtf8Bytes('hello world'))).to.equal('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e');
    });

    for (const size of [1, 2, 3, 4, 5, 31, 1000]) {
      it(`encodes version 1, raw codec and the sha2-256 multihash of ${size} bytes`, function () {
        const bytes = Uint8Array.from({ length: size }, (_, index) => (index * 37 + 11) & 0xff);
        const cid = rawCidV1(bytes);
        expect(cid).to.match(/^bafkrei[a-z2-7]{52}$/);
        const decoded = decodeBase32(cid.slice(1));
        const digest = createHash('sha256').update(bytes).digest();
        expect(ethers.hexlify(decoded)).to.equal(ethers.hexlify(Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest])));
      });
    }

    it('names the example documents by their canonical bytes', function () {
      for (const example of exampleDocuments()) {
        const bytes = encodeStaticDocument(example.document);
        const digest = createHash('sha256').update(bytes).digest();
        expect(ethers.hexlify(decodeBase32(rawCidV1(bytes).slice(1)).slice(4))).to.equal(ethers.hexlify(digest));
      }
    });

    it('accepts exactly 256 KiB', function () {
      expect(MAX_RAW_BLOCK_BYTES).to.equal(256 * 1024);
      expect(rawCidV1(new Uint8Array(256 * 1024))).to.match(/^bafkrei/);
    });

    it('refuses more than 256 KiB', function () {
      expect(() => rawCidV1(new Uint8Array(256 * 1024 + 1))).to.throw(RangeError, /262145 bytes do not fit/);
    });
  });
});
