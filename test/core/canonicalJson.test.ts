import { expect } from 'chai';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import { random } from '../helpers/random';

// A second, independent JCS implementation (ESM; Node 24 requires it synchronously).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const canonicalize = (require('canonicalize') as { default: (value: unknown) => string | undefined }).default;

/** The double whose IEEE-754 bits are `hex` (16 hex digits), as RFC 8785 appendix B writes them. */
function fromIeee(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

/**
 * RFC 8785 appendix B: IEEE-754 bits and the canonical text. The published expectations, not computed here, so they
 * check the number formatting independently of V8.
 */
const RFC_NUMBERS: [string, string][] = [
  ['0000000000000000', '0'],
  ['8000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['8000000000000001', '-5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['ffefffffffffffff', '-1.7976931348623157e+308'],
  ['4340000000000000', '9007199254740992'],
  ['c340000000000000', '-9007199254740992'],
  ['4430000000000000', '295147905179352830000'],
  ['44b52d02c7e14af5', '9.999999999999997e+22'],
  ['44b52d02c7e14af6', '1e+23'],
  ['44b52d02c7e14af7', '1.0000000000000001e+23'],
  ['444b1ae4d6e2ef4e', '999999999999999700000'],
  ['444b1ae4d6e2ef4f', '999999999999999900000'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
  ['3eb0c6f7a0b5ed8d', '0.000001'],
  ['41b3de4355555553', '333333333.3333332'],
  ['41b3de4355555554', '333333333.33333325'],
  ['41b3de4355555555', '333333333.3333333'],
  ['41b3de4355555556', '333333333.3333334'],
  ['41b3de4355555557', '333333333.33333343'],
  ['becbf647612f3696', '-0.0000033333333333333333'],
  ['43143ff3c1cb0959', '1424953923781206.2'],
  // The reference implementation's test suite's edge cases.
  ['4340000000000001', '9007199254740994'],
  ['4340000000000002', '9007199254740996'],
];

/** RFC 8785's own examples (sections 3.2.2, 3.2.3; the reference implementation's testdata): input, JCS output. */
const RFC_DOCUMENTS: [string, string, string][] = [
  [
    'section 3.2.2 (values)',
    '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
      '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}',
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  ],
  [
    'section 3.2.3 (sorting by UTF-16 code units)',
    '{\n  "\\u20ac": "Euro Sign",\n  "\\r": "Carriage Return",\n  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n' +
      '  "1": "One",\n  "\\ud83d\\ude00": "Emoji: Grinning Face",\n  "\\u0080": "Control",\n' +
      '  "\\u00f6": "Latin Small Letter O With Diaeresis"\n}',
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
      '"€":"Euro Sign","\u{1F600}":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  ],
  [
    'arrays',
    '[\n  56,\n  {\n    "d": true,\n    "10": null,\n    "1": [ ]\n  }\n]',
    '[56,{"1":[],"10":null,"d":true}]',
  ],
  [
    'structures',
    '{\n  "1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0},\n  "10": { },\n  "": "empty",\n  "a": { },\n' +
      '  "111": [ {"e": "yes","E": "no" } ],\n  "A": { }\n}',
    '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}}',
  ],
  [
    'french (no locale order)',
    '{\n  "peach": "This sorting order",\n  "péché": "is wrong according to French",\n' +
      '  "pêche": "but canonicalization MUST",\n  "sin":   "ignore locale"\n}',
    '{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST",' +
      '"sin":"ignore locale"}',
  ],
  ['unicode (no normalisation)', '{\n  "Unnormalized Unicode":"A\\u030a"\n}', '{"Unnormalized Unicode":"A\u030a"}'],
  [
    'weird',
    '{\n  "\\u20ac": "Euro Sign",\n  "\\r": "Carriage Return",\n  "\\u000a": "Newline",\n  "1": "One",\n' +
      '  "\\u0080": "Control\\u007f",\n  "\\ud83d\\ude02": "Smiley",\n  "\\u00f6": "Latin Small Letter O With Diaeresis",\n' +
      '  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "</script>": "Browser Challenge"\n}',
    '{"\\n":"Newline","\\r":"Carriage Return","1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",' +
      '"ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","\u{1F602}":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  ],
];

const KEYS = [
  'a',
  'b',
  'B',
  '',
  'é',
  'z9',
  '\u{1F600}',
  '\uFFFF',
  '\uE000',
  '"q"',
  'line\nbreak',
  '10',
  '2',
  'aa',
  'a\u0000',
  '\u007f',
];
const STRINGS = [
  '',
  'plain',
  'quote " and \\',
  '\u2028\u2029',
  '\u{1F600}',
  'tab\t\b\f\r',
  'ünïcødé',
  '\u0001\u001f',
  '</script>',
  'A\u030a',
];
const LONE = ['\ud800', 'x\udfffy', '\ude00\ud83d'];

/** A random double: any bit pattern that is finite (the reference suite's method), or a simple value. */
function randomNumber(next: () => number): number {
  if (next() < 0.3)
    return [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789.125, Number.MAX_SAFE_INTEGER, -5e-324][Math.floor(next() * 10)]!;
  const view = new DataView(new ArrayBuffer(8));
  do {
    view.setUint32(0, Math.floor(next() * 2 ** 32));
    view.setUint32(4, Math.floor(next() * 2 ** 32));
  } while (!Number.isFinite(view.getFloat64(0)));
  return view.getFloat64(0);
}

function randomValue(next: () => number, depth: number, lone: boolean): unknown {
  const pick = <item>(items: item[]) => items[Math.floor(next() * items.length)]!;
  const text = () => (lone && next() < 0.05 ? pick(LONE) : pick(STRINGS));
  const roll = next();
  if (depth > 3 || roll < 0.35)
    return pick<() => unknown>([() => null, () => true, () => false, text, () => randomNumber(next)])();
  if (roll < 0.6) return Array.from({ length: Math.floor(next() * 5) }, () => randomValue(next, depth + 1, lone));
  const record: Record<string, unknown> = {};
  for (let count = Math.floor(next() * 6); count > 0; count--) {
    record[lone && next() < 0.03 ? pick(LONE) : pick(KEYS)] = randomValue(next, depth + 1, lone);
  }
  return record;
}

function outcome(encode: (value: unknown) => string | undefined, value: unknown): string {
  try {
    return `ok ${encode(value)}`;
  } catch {
    return 'refused';
  }
}

describe('canonicalJson (RFC 8785, JCS)', function () {
  describe("the RFC's examples", function () {
    for (const [name, input, output] of RFC_DOCUMENTS) {
      it(`gives the published bytes for ${name}`, function () {
        expect(canonicalJson(JSON.parse(input))).to.equal(output);
      });
    }

    it('writes every number of appendix B as published, and refuses NaN and the infinities', function () {
      for (const [bits, text] of RFC_NUMBERS) expect(canonicalJson(fromIeee(bits)), bits).to.equal(text);
      for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
        expect(() => canonicalJson(fromIeee(bits))).to.throw(TypeError, /cannot hold the number/);
      }
    });
  });

  it('sorts names by UTF-16 code units (not code points), so U+E000 sorts after U+1F600', function () {
    // U+1F600 is the surrogate pair D83D DE00: below U+E000 in UTF-16, above it in code points.
    expect(canonicalJson({ '\uE000': 1, '\u{1F600}': 2, é: 3, Z: 4 })).to.equal(
      '{"Z":4,"é":3,"\u{1F600}":2,"\uE000":1}',
    );
  });

  it('writes -0 as 0, drops undefined members and writes undefined array items as null', function () {
    expect(canonicalJson({ b: -0, a: [undefined, -0, 1e21], c: undefined })).to.equal('{"a":[null,0,1e+21],"b":0}');
  });

  it('refuses a lone surrogate in a value or a member name (not I-JSON), naming it', function () {
    expect(() => canonicalJson({ a: 'x\ud800' })).to.throw(TypeError, 'cannot hold a lone surrogate ("x\\ud800")');
    expect(() => canonicalJson({ '\udc00': 1 })).to.throw(TypeError, /lone surrogate/);
    expect(() => canonicalJson(['\ude00\ud83d'])).to.throw(TypeError, /lone surrogate/);
    expect(canonicalJson('\ud83d\ude00')).to.equal('"\u{1F600}"');
  });

  it('refuses what JSON cannot hold exactly, naming it', function () {
    expect(() => canonicalJson({ a: Number.NaN })).to.throw(TypeError, 'cannot hold the number NaN');
    expect(() => canonicalJson([Number.POSITIVE_INFINITY])).to.throw(TypeError, 'cannot hold the number Infinity');
    expect(() => canonicalJson({ a: 1n })).to.throw(TypeError, 'cannot hold a bigint');
    expect(() => canonicalJson({ a: () => 1 })).to.throw(TypeError, 'cannot hold a function');
    expect(() => canonicalJson([Symbol('s')])).to.throw(TypeError, 'cannot hold a symbol');
    expect(() => canonicalJson(undefined)).to.throw(TypeError, 'cannot hold a undefined');
  });

  it('agrees with the canonicalize package (a second JCS implementation) on 3,000 random documents', function () {
    const next = random(7);
    let refused = 0;
    for (let round = 0; round < 3_000; round++) {
      const value = randomValue(next, 0, true);
      const ours = outcome(canonicalJson, value);
      expect(ours, JSON.stringify(value)).to.equal(outcome(canonicalize, value));
      if (ours === 'refused') refused++;
      // What the oracle hashes comes from JSON.parse: the bytes parse back to a value with the same bytes.
      else expect(canonicalJson(JSON.parse(ours.slice(3)))).to.equal(ours.slice(3));
    }
    // Both the accepting and the refusing paths were exercised.
    expect(refused).to.be.within(30, 1_500);
  });

  it('keeps member names beyond its cache exact (many distinct and long names)', function () {
    const record: Record<string, number> = {};
    for (let index = 0; index < 10_000; index++) record[`name-${index}-${'x'.repeat(index % 100)}`] = index;
    expect(canonicalJson(record)).to.equal(canonicalize(record));
    expect(canonicalJson(record)).to.equal(canonicalize(record));
  });
});
