import { expect } from 'chai';
import { loadSequenceLedger, advanceSequenceLedger } from '../../../oracle/src/index/sequenceLedger';
import { tempIndex } from './tempIndex';

describe('oracle index: sequence ledger', function () {
  it('keeps the highest number per device and kind, and the latest announced will', function () {
    const temp = tempIndex();
    try {
      const device = `0x${'ab'.repeat(32)}`;
      advanceSequenceLedger(temp.index, [
        { deviceId: device, kind: 'telemetry', seq: 10 },
        { deviceId: device, kind: 'will', seq: 7 },
      ]);
      advanceSequenceLedger(temp.index, [
        { deviceId: device, kind: 'telemetry', seq: 4 },
        { deviceId: device, kind: 'will', seq: 3 },
        { deviceId: device, kind: 'snapshot', seq: 5 },
      ]);
      const rows = loadSequenceLedger(temp.index).sort((a, b) => a.kind.localeCompare(b.kind));
      expect(rows).to.deep.equal([
        { deviceId: device, kind: 'snapshot', seq: 5 },
        { deviceId: device, kind: 'telemetry', seq: 10 },
        { deviceId: device, kind: 'will', seq: 3 },
      ]);
    } finally {
      temp.close();
    }
  });
});
