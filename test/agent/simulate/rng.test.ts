import { expect } from 'chai';
import { createRng, hash32, PURPOSE, seedKey } from '../../../agent/src/simulate/rng';

const stats = (values: number[]) => {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return { mean, sd: Math.sqrt(variance) };
};
const draw = <value>(count: number, next: () => value): value[] => Array.from({ length: count }, next);

describe('Simulator: seeded PRNG', function () {
  it('is deterministic per (seed, device, purpose, counter) and differs across each of them', function () {
    const key = seedKey(42);
    const sequence = (rng = createRng(key, 3, PURPOSE.telemetry, 7)) => draw(8, () => rng.next());
    expect(sequence()).to.deep.equal(sequence());
    expect(seedKey('42')).to.deep.equal(key);
    const variants = [
      createRng(seedKey(43), 3, PURPOSE.telemetry, 7),
      createRng(key, 4, PURPOSE.telemetry, 7),
      createRng(key, 3, PURPOSE.snapshot, 7),
      createRng(key, 3, PURPOSE.telemetry, 8),
      createRng(key, 3, PURPOSE.telemetry, 7 + 2 ** 32),
    ];
    for (const rng of variants) expect(sequence(rng)).not.to.deep.equal(sequence());
    expect(hash32(key, 1, 2, 3)).to.equal(hash32(seedKey(42), 1, 2, 3));
    expect(hash32(key, 1, 2, 3)).not.to.equal(hash32(key, 1, 3, 2));
  });

  it('draws from the documented distributions', function () {
    const rng = createRng(seedKey('distributions'), 0, 0);
    const uniform = draw(50_000, () => rng.float());
    expect(Math.min(...uniform)).to.be.at.least(0);
    expect(Math.max(...uniform)).to.be.below(1);
    expect(stats(uniform).mean).to.be.closeTo(0.5, 0.01);
    const buckets = new Array(10).fill(0);
    for (const value of uniform) buckets[Math.floor(value * 10)]++;
    for (const bucket of buckets) expect(bucket).to.be.within(4_600, 5_400);
    const normal = stats(draw(50_000, () => rng.normal(20, 3)));
    expect(normal.mean).to.be.closeTo(20, 0.06);
    expect(normal.sd).to.be.closeTo(3, 0.06);
    expect(stats(draw(50_000, () => rng.exponential(4))).mean).to.be.closeTo(4, 0.1);
    for (const lambda of [0.5, 7, 250]) {
      const poisson = stats(draw(30_000, () => rng.poisson(lambda)));
      expect(poisson.mean).to.be.closeTo(lambda, lambda * 0.03 + 0.02);
      expect(poisson.sd).to.be.closeTo(Math.sqrt(lambda), Math.sqrt(lambda) * 0.05);
    }
    const ints = draw(20_000, () => rng.int(1, 6));
    expect(new Set(ints)).to.deep.equal(new Set([1, 2, 3, 4, 5, 6]));
    const weighted = draw(
      20_000,
      () =>
        rng.pickWeighted([
          { weight: 3, name: 'a' },
          { weight: 1, name: 'b' },
        ]).name,
    );
    expect(weighted.filter((name) => name === 'a').length / 20_000).to.be.closeTo(0.75, 0.02);
  });
});
