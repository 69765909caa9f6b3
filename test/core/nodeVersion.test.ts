import { expect } from 'chai';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';

type Recorded = { exitCodes: (string | number | null | undefined)[]; stderr: string[] };

/**
 * Runs `action` with process.exit and process.stderr.write replaced by recorders, and returns what they saw.
 * The originals are restored in every case.
 */
function recordExit(action: () => void): Recorded {
  const recorded: Recorded = { exitCodes: [], stderr: [] };
  const originalExit = process.exit;
  const originalWrite = process.stderr.write;
  process.exit = ((code?: string | number | null) => {
    recorded.exitCodes.push(code);
  }) as typeof process.exit;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    recorded.stderr.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stderr.write;
  try {
    action();
  } finally {
    process.exit = originalExit;
    process.stderr.write = originalWrite;
  }
  return recorded;
}

describe('assertNodeVersion', function () {
  describe('when the version is high enough', function () {
    for (const version of ['22.0.0', '22.11.0', '24.11.1', '100.0.0']) {
      it(`does nothing for Node.js ${version} with minimum 22`, function () {
        const recorded = recordExit(() => assertNodeVersion(22, 'The twin registry', version));
        expect(recorded.exitCodes).to.deep.equal([]);
        expect(recorded.stderr).to.deep.equal([]);
      });
    }

    it('does nothing for the running Node.js (which npx runs as 24)', function () {
      const recorded = recordExit(() => assertNodeVersion(22, 'The twin registry'));
      expect(recorded.exitCodes).to.deep.equal([]);
      expect(recorded.stderr).to.deep.equal([]);
    });
  });

  describe('when the version is too old', function () {
    for (const version of ['20.19.5', '21.99.99', '18.0.0']) {
      it(`writes one line to stderr and exits with 1 for Node.js ${version}`, function () {
        const recorded = recordExit(() => assertNodeVersion(22, 'The twin registry', version));
        expect(recorded.exitCodes).to.deep.equal([1]);
        expect(recorded.stderr).to.have.lengthOf(1);
        const [line] = recorded.stderr;
        expect(line).to.match(/^[^\n]+\n$/);
        expect(line).to.include('The twin registry needs Node.js >= 22');
        expect(line).to.include(`this is Node.js ${version}`);
      });
    }

    it('compares major versions as numbers, not text', function () {
      const recorded = recordExit(() => assertNodeVersion(10, 'The agent', '9.11.2'));
      expect(recorded.exitCodes).to.deep.equal([1]);
      expect(recorded.stderr[0]).to.include('The agent needs Node.js >= 10');
    });

    it('treats an unreadable version as too old', function () {
      const recorded = recordExit(() => assertNodeVersion(22, 'The twin registry', 'unknown'));
      expect(recorded.exitCodes).to.deep.equal([1]);
      expect(recorded.stderr).to.have.lengthOf(1);
    });
  });

  describe('when the recorders are removed', function () {
    it('leaves process.exit and process.stderr.write as they were', function () {
      const exit = process.exit;
      const write = process.stderr.write;
      recordExit(() => assertNodeVersion(99, 'x', '1.0.0'));
      expect(() => recordExit(() => { throw new Error('boom'); })).to.throw('boom');
      expect(process.exit).to.equal(exit);
      expect(process.stderr.write).to.equal(write);
    });
  });
});
