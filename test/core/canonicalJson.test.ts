import { expect } from 'chai';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';

/** The definition, written plainly (as it was first implemented): the fast version must match it byte for byte. */
function reference(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold the number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => reference(item ?? null)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${reference(member)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', 'B', '', 'é', 'z9', '\u{1F600}', '\uFFFF', '"q"', 'line\nbreak', '10', '2', 'aa', 'a\u0000'];
const STRINGS = ['', 'plain', 'quote " and \\', '\u2028', '\u{1F600}', '\ud800', 'tab\t', 'ünïcødé'];
const NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789.125, Number.MAX_SAFE_INTEGER, -5e-324];

function randomValue(next: () => number, depth: number): unknown {
  const pick = <item>(items: item[]) => items[Math.floor(next() * items.length)]!;
  const roll = next();
  if (depth > 3 || roll < 0.35) {
    return pick<unknown>([null, true, false, undefined, pick(STRINGS), pick(NUMBERS)]);
  }
  if (roll < 0.6) return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1));
  const record: Record<string, unknown> = {};
  for (let count = Math.floor(next() * 6); count > 0; count--) record[pick(KEYS)] = randomValue(next, depth + 1);
  return record;
}

describe('canonicalJson', function () {
  it('sorts keys by UTF-16 code units, drops undefined members and writes no whitespace', function () {
    expect(canonicalJson({ b: 1, a: [true, null], c: undefined })).to.equal('{"a":[true,null],"b":1}');
    expect(canonicalJson({ '\u{1F600}': 1, '\uFFFF': 2, é: 3, Z: 4 })).to.equal(
      '{"Z":4,"é":3,"\u{1F600}":1,"\uFFFF":2}',
    );
    expect(canonicalJson([undefined, -0, 1e21])).to.equal('[null,0,1e+21]');
    expect(canonicalJson({ nested: { y: [{ b: 2, a: 1 }], x: 'é"' } })).to.equal(
      '{"nested":{"x":"é\\"","y":[{"a":1,"b":2}]}}',
    );
  });

  it('matches the plain definition byte for byte on 2,000 random documents', function () {
    const next = random(7);
    for (let round = 0; round < 2_000; round++) {
      const value = randomValue(next, 0);
      if (value === undefined) continue;
      expect(canonicalJson(value)).to.equal(reference(value), JSON.stringify(value));
    }
  });

  it('refuses what JSON cannot hold exactly, naming it', function () {
    expect(() => canonicalJson({ a: Number.NaN })).to.throw(TypeError, 'cannot hold the number NaN');
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).to.throw(TypeError, 'cannot hold the number Infinity');
    expect(() => canonicalJson({ a: 1n })).to.throw(TypeError, 'cannot hold a bigint');
    expect(() => canonicalJson({ a: () => 1 })).to.throw(TypeError, 'cannot hold a function');
    expect(() => canonicalJson([Symbol('s')])).to.throw(TypeError, 'cannot hold a symbol');
    expect(() => canonicalJson(undefined)).to.throw(TypeError, 'cannot hold a undefined');
  });
});
