import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceSequences } from '../../../agent/src/identity/deviceSequences';

describe('DeviceSequences: one sequence per simulated device, one persisted lease', function () {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'device-sequences-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('numbers each device without holes, whatever the others take', function () {
    const sequences = new DeviceSequences(join(directory, 'sequence'), 10);
    const [a, b] = [sequences.of('0xAA'), sequences.of('0xbb')];
    const taken = { a: [] as number[], b: [] as number[] };
    for (let round = 0; round < 25; round++) {
      taken.a.push(a.next());
      if (round % 3 === 0) taken.b.push(b.next());
    }
    expect(taken.a).to.deep.equal(Array.from({ length: 25 }, (_, i) => i));
    expect(taken.b).to.deep.equal(Array.from({ length: 9 }, (_, i) => i));
    // The same device by another spelling shares its counter.
    expect(sequences.of('0xaa').next()).to.equal(25);
  });

  it('starts every device above every number used before a restart, the lease written ahead', function () {
    const file = join(directory, 'sequence');
    const first = new DeviceSequences(file, 10);
    const a = first.of('0xaa');
    const used = Array.from({ length: 23 }, () => a.next());
    first.of('0xbb').next();
    expect(Number(readFileSync(file, 'utf8'))).to.be.greaterThan(Math.max(...used));
    const again = new DeviceSequences(file, 10);
    expect(again.of('0xaa').next()).to.be.greaterThan(Math.max(...used));
    expect(again.of('0xbb').next()).to.be.greaterThan(Math.max(...used));
  });
});
