import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { abiEncode } from '../../twin-core/src/encoding/abiEncode';
import {
  computeDeviceId,
  formatDeviceId,
  identityToContractStruct,
  InvalidDeviceIdentityError,
  InvalidDeviceIdError,
  parseDeviceId,
  parseDeviceIdentity,
} from '../../twin-core/src/identity/deviceId';
import type { DeviceIdentity, DeviceIdentityInput } from '../../twin-core/src/identity/schema';
import { exampleDocuments, registryFixture } from '../fixtures';
import { thrownBy } from '../helpers/thrownBy';

const IDENTITY_TUPLE = 'tuple(bytes6,string,string,string,string,uint64,string,string)';

/** The DeviceID as ethers computes it: keccak256 of the ABI-encoded identity tuple. */
function ethersDeviceId(identity: DeviceIdentity): bigint {
  const struct = identityToContractStruct(identity);
  const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
    [IDENTITY_TUPLE],
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
  return BigInt(ethers.keccak256(encoded));
}

/** A valid raw identity to vary: the first example's. */
function baseIdentity(): DeviceIdentityInput {
  const [first] = exampleDocuments();
  return { ...(first!.json as { identity: DeviceIdentityInput }).identity };
}


describe('DeviceID', function () {
  const examples = exampleDocuments();

  it('has at least three example documents to check', function () {
    expect(examples.length).to.be.at.least(3);
  });

  describe('when computed for the example documents', function () {
    for (const example of examples) {
      const name = example.file.split('/').pop();

      describe(`when the document is ${name}`, function () {
        it('equals keccak256 of the ethers ABI encoding of the identity tuple', function () {
          const expected = ethersDeviceId(example.document.identity);
          expect(computeDeviceId(example.document.identity)).to.equal(expected);
        });

        it('equals TwinRegistry.computeDeviceId on chain', async function () {
          const { twins } = await loadFixture(registryFixture);
          const onChain = await twins.computeDeviceId(identityToContractStruct(example.document.identity));
          expect(computeDeviceId(example.document.identity)).to.equal(onChain);
        });

        it('gives the same id for the raw JSON identity as for the parsed one', function () {
          const raw = (example.json as { identity: DeviceIdentityInput }).identity;
          expect(computeDeviceId(raw)).to.equal(computeDeviceId(example.document.identity));
        });
      });
    }

    it('gives a different id to each example', function () {
      const ids = examples.map((example) => computeDeviceId(example.document.identity));
      expect(new Set(ids).size).to.equal(ids.length);
    });
  });

  describe('when the input needs normalising', function () {
    it('gives the same id for the same MAC in colon, dash and bare notation', function () {
      const notations = ['DC:A6:32:0A:1B:2C', 'dc-a6-32-0a-1b-2c', 'dca6320a1b2c', '  dc:a6:32:0a:1b:2c  '];
      const ids = notations.map((macAddress) => computeDeviceId({ ...baseIdentity(), macAddress }));
      for (const id of ids) expect(id).to.equal(ids[0]);
      expect(parseDeviceIdentity({ ...baseIdentity(), macAddress: 'dc-a6-32-0a-1b-2c' }).macAddress).to.equal('dc:a6:32:0a:1b:2c');
    });

    it('trims whitespace around the serial number', function () {
      const trimmed = computeDeviceId({ ...baseIdentity(), serialNumber: '10000000a1b2c3d4' });
      expect(computeDeviceId({ ...baseIdentity(), serialNumber: '  10000000a1b2c3d4\t\n' })).to.equal(trimmed);
      expect(parseDeviceIdentity({ ...baseIdentity(), serialNumber: ' 10000000a1b2c3d4 ' }).serialNumber).to.equal('10000000a1b2c3d4');
    });

    it('normalises text to NFC, so composed and decomposed accents give the same id', function () {
      const composed = 'Soci\u00e9t\u00e9 Capteurs';
      const decomposed = 'Socie\u0301te\u0301 Capteurs';
      expect(decomposed).not.to.equal(composed);
      expect(computeDeviceId({ ...baseIdentity(), manufacturer: decomposed })).to.equal(
        computeDeviceId({ ...baseIdentity(), manufacturer: composed }),
      );
    });

    it('matches the contract for an identity given with padded serial and dashed MAC', async function () {
      const { twins } = await loadFixture(registryFixture);
      const identity = parseDeviceIdentity({ ...baseIdentity(), macAddress: 'e4-5f-01-77-88-99', serialNumber: '  abc  ' });
      expect(await twins.computeDeviceId(identityToContractStruct(identity))).to.equal(computeDeviceId(identity));
    });
  });

  describe('when a single identity field changes', function () {
    const changes: Record<keyof DeviceIdentityInput, (identity: DeviceIdentityInput) => DeviceIdentityInput> = {
      macAddress: (identity) => ({ ...identity, macAddress: 'dc:a6:32:0a:1b:2d' }),
      serialNumber: (identity) => ({ ...identity, serialNumber: `${identity.serialNumber}0` }),
      manufacturer: (identity) => ({ ...identity, manufacturer: `${identity.manufacturer} Europe` }),
      hardwareModel: (identity) => ({ ...identity, hardwareModel: 'Raspberry Pi 5' }),
      hardwareRevision: (identity) => ({ ...identity, hardwareRevision: '1.5' }),
      memoryBytes: (identity) => ({ ...identity, memoryBytes: identity.memoryBytes + 1 }),
      osName: (identity) => ({ ...identity, osName: 'Ubuntu' }),
      osVersion: (identity) => ({ ...identity, osVersion: '13 (trixie)' }),
    };

    for (const [field, change] of Object.entries(changes)) {
      it(`changes the id when ${field} changes`, function () {
        const base = baseIdentity();
        const changed = change(base);
        expect(changed[field as keyof DeviceIdentityInput]).not.to.equal(base[field as keyof DeviceIdentityInput]);
        expect(computeDeviceId(changed)).not.to.equal(computeDeviceId(base));
        expect(computeDeviceId(changed)).to.equal(ethersDeviceId(parseDeviceIdentity(changed)));
      });
    }

    it('changes the id when text moves from one field to the next (no ambiguous concatenation)', function () {
      const base = { ...baseIdentity(), osName: 'Raspberry Pi OS 12', osVersion: '(bookworm)' };
      const moved = { ...baseIdentity(), osName: 'Raspberry Pi OS', osVersion: '12 (bookworm)' };
      expect(computeDeviceId(base)).not.to.equal(computeDeviceId(moved));
    });
  });

  describe('when the identity is invalid', function () {
    const cases: { what: string; field: string; identity: () => unknown }[] = [
      { what: 'a malformed MAC', field: 'macAddress', identity: () => ({ ...baseIdentity(), macAddress: 'dc:a6:32:0a:1b' }) },
      { what: 'a MAC with non-hex digits', field: 'macAddress', identity: () => ({ ...baseIdentity(), macAddress: 'zz:a6:32:0a:1b:2c' }) },
      { what: 'a MAC mixing separators', field: 'macAddress', identity: () => ({ ...baseIdentity(), macAddress: 'dc:a6-32:0a:1b:2c' }) },
      { what: 'an all-zero MAC', field: 'macAddress', identity: () => ({ ...baseIdentity(), macAddress: '00:00:00:00:00:00' }) },
      { what: 'an empty serial', field: 'serialNumber', identity: () => ({ ...baseIdentity(), serialNumber: '' }) },
      { what: 'a whitespace-only serial', field: 'serialNumber', identity: () => ({ ...baseIdentity(), serialNumber: '   ' }) },
      { what: 'a non-integer memory size', field: 'memoryBytes', identity: () => ({ ...baseIdentity(), memoryBytes: 1.5 }) },
      { what: 'a zero memory size', field: 'memoryBytes', identity: () => ({ ...baseIdentity(), memoryBytes: 0 }) },
      { what: 'memory given as a string', field: 'memoryBytes', identity: () => ({ ...baseIdentity(), memoryBytes: '4294967296' }) },
      {
        what: 'a missing OS version',
        field: 'osVersion',
        identity: () => {
          const { osVersion: _omitted, ...rest } = baseIdentity();
          return rest;
        },
      },
    ];

    for (const { what, field, identity } of cases) {
      describe(`when it has ${what}`, function () {
        it(`throws InvalidDeviceIdentityError naming ${field}`, function () {
          const error = thrownBy(() => computeDeviceId(identity() as DeviceIdentityInput));
          expect(error).to.be.instanceOf(InvalidDeviceIdentityError);
          expect(error.name).to.equal('InvalidDeviceIdentityError');
          expect(error.message).to.match(new RegExp(`^${field}: `, 'm'));
        });
      });
    }

    it('names every bad field at once', function () {
      const error = thrownBy(() => parseDeviceIdentity({ ...baseIdentity(), macAddress: 'nope', serialNumber: '', memoryBytes: -1 }));
      expect(error).to.be.instanceOf(InvalidDeviceIdentityError);
      expect(error.message).to.include('macAddress:').and.to.include('serialNumber:').and.to.include('memoryBytes:');
    });

    it('throws InvalidDeviceIdentityError for input that is not an object', function () {
      expect(() => parseDeviceIdentity('dc:a6:32:0a:1b:2c')).to.throw(InvalidDeviceIdentityError, /identity: /);
    });
  });

  describe('when formatting and parsing DeviceIDs', function () {
    const ids = [0n, 1n, computeDeviceId(baseIdentity()), (1n << 256n) - 1n];

    for (const id of ids) {
      it(`round-trips ${id.toString(16).slice(0, 12)}… through hex and decimal`, function () {
        const hex = formatDeviceId(id);
        expect(hex).to.match(/^0x[0-9a-f]{64}$/);
        expect(parseDeviceId(hex)).to.equal(id);
        expect(parseDeviceId(id.toString())).to.equal(id);
        expect(parseDeviceId(hex.toUpperCase().replace('0X', '0x'))).to.equal(id);
        expect(parseDeviceId(`  ${hex}\n`)).to.equal(id);
      });
    }

    it('formats as ethers zero-pads a uint256', function () {
      const id = computeDeviceId(baseIdentity());
      expect(formatDeviceId(id)).to.equal(ethers.toBeHex(id, 32));
      expect(formatDeviceId(1n)).to.equal(`0x${'0'.repeat(63)}1`);
    });

    it('refuses to format an out-of-range DeviceID', function () {
      expect(() => formatDeviceId(-1n)).to.throw(InvalidDeviceIdError);
      expect(() => formatDeviceId(1n << 256n)).to.throw(InvalidDeviceIdError);
    });

    const garbage = [
      '',
      'hello',
      '0x1234',
      `0x${'0'.repeat(65)}`,
      `0x${'g'.repeat(64)}`,
      `${'0'.repeat(64)}ab`,
      '-1',
      '1.5',
      '1e10',
      (1n << 256n).toString(),
    ];
    for (const text of garbage) {
      it(`rejects ${JSON.stringify(text.length > 20 ? `${text.slice(0, 20)}…` : text)} with InvalidDeviceIdError`, function () {
        const error = thrownBy(() => parseDeviceId(text));
        expect(error).to.be.instanceOf(InvalidDeviceIdError);
        expect(error.message).to.include(JSON.stringify(text));
      });
    }
  });

  describe('when abiEncode gets a value that does not fit its type', function () {
    it('rejects a uint64 of 2^64 and accepts 2^64 - 1', function () {
      expect(() => abiEncode([{ type: 'uint64', value: 1n << 64n }])).to.throw(RangeError, /uint64 out of range/);
      const max = (1n << 64n) - 1n;
      expect(ethers.hexlify(abiEncode([{ type: 'uint64', value: max }]))).to.equal(
        ethers.AbiCoder.defaultAbiCoder().encode(['uint64'], [max]),
      );
    });

    it('rejects a negative uint64', function () {
      expect(() => abiEncode([{ type: 'uint64', value: -1n }])).to.throw(RangeError);
    });

    it('rejects a uint256 of 2^256', function () {
      expect(() => abiEncode([{ type: 'uint256', value: 1n << 256n }])).to.throw(RangeError);
    });

    for (const size of [0, 5, 7, 32]) {
      it(`rejects a bytes6 of ${size} bytes`, function () {
        expect(() => abiEncode([{ type: 'bytes6', value: new Uint8Array(size) }])).to.throw(
          RangeError,
          `bytes6 needs 6 bytes, got ${size}`,
        );
      });
    }

    it('rejects a bytes32 of 31 bytes', function () {
      expect(() => abiEncode([{ type: 'bytes32', value: new Uint8Array(31) }])).to.throw(RangeError, /bytes32 needs 32 bytes/);
    });

    it('encodes a mix of static and dynamic values as ethers does', function () {
      const bytes6 = ethers.getBytes('0xdca6320a1b2c');
      const bytes32 = ethers.getBytes(ethers.keccak256('0x01'));
      const encoded = abiEncode([
        { type: 'string', value: '' },
        { type: 'bytes6', value: bytes6 },
        { type: 'string', value: 'x'.repeat(33) },
        { type: 'uint256', value: 7n },
        { type: 'string', value: 'Société — ü' },
        { type: 'bytes32', value: bytes32 },
      ]);
      expect(ethers.hexlify(encoded)).to.equal(
        ethers.AbiCoder.defaultAbiCoder().encode(
          ['string', 'bytes6', 'string', 'uint256', 'string', 'bytes32'],
          ['', bytes6, 'x'.repeat(33), 7n, 'Société — ü', bytes32],
        ),
      );
    });
  });
});
