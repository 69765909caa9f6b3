import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SPEC_DIR } from '../../spec/src';
import { STATIC_DOCUMENT } from '../../spec/src/vectorMessages';
import { freePort } from '../helpers/brokers';
import { runProcess } from '../helpers/runProcess';
import { mintArguments } from '../fixtures';
import { CAST, deployOnNode, mined, mintOnNode } from '../oracle/chain/deployOnNode';
import { startHardhatNode, type HardhatNode } from '../oracle/chain/hardhatNode';

const ROOT = join(__dirname, '..', '..');
const vector = (name: string) => JSON.parse(readFileSync(join(SPEC_DIR, 'vectors', `${name}.json`), 'utf8'));

/** Runs `npm run check-message -- …`'s entry point; resolves its exit code and output. */
function checkMessage(args: string[]) {
  return runProcess('npx', ['ts-node', '-T', 'oracle/src/checkMessageCli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

describe('npm run check-message (the dry run for integrators, against a real chain over JSON-RPC)', function () {
  this.timeout(240_000);
  let node: HardhatNode;
  let directory: string;
  let deploymentFile: string;
  const write = (name: string, text: string) => {
    const file = join(directory, name);
    writeFileSync(file, text);
    return file;
  };

  before(async function () {
    directory = mkdtempSync(join(tmpdir(), 'check-message-'));
    node = await startHardhatNode();
    const registry = await deployOnNode(node);
    // The vectors' twin, minted with their static document and device key.
    const twin = mintArguments(STATIC_DOCUMENT);
    // The vectors' maker is a brand of its own: the demo manufacturer holds it here, as a registrar would approve.
    const manufacturer = node.wallet(CAST.manufacturer);
    const brand = STATIC_DOCUMENT.identity.manufacturer;
    await mined(registry.entities.connect(manufacturer).registerBrand(brand));
    await mined(registry.entities.approveBrand(manufacturer.address, brand));
    await mintOnNode(node, registry, twin, vector('keys').device.privateKey);
    deploymentFile = write('deployment.json', JSON.stringify(registry.deployment));
  });
  after(async function () {
    await node?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it("accepts the vectors' static document and snapshot as the oracle would, with what it would store", async function () {
    for (const kind of ['static', 'snapshot']) {
      const item = vector(kind);
      const file = write(`${kind}.json`, item.payload);
      const args = [
        '--file',
        file,
        '--rpc-url',
        node.url,
        '--deployment',
        deploymentFile,
        '--now',
        item.oracle.receivedAt,
      ];
      const { code, stdout } = await checkMessage([...args, '--json']);
      expect(code, stdout).to.equal(0);
      const answer = JSON.parse(stdout);
      expect(answer).to.deep.include({ verdict: 'accepted', topic: item.topic });
      expect(answer.derived).to.deep.include({ signer: item.signer, hash: item.hash });
      if (kind === 'snapshot')
        expect(answer.derived).to.deep.include({ storedCid: item.storedCid, merkleLeaf: item.merkle.leafHash });
      else expect(answer.derived.staticDocument.cid).to.equal(item.staticDocument.staticCid);
    }
  });

  it('names the reason and the field of a refusal, and exits 1', async function () {
    const { vectors } = vector('rejections');
    const extra = vectors.find((item: { expected: { field?: string } }) => item.expected.field === 'body.firmware');
    const file = write('extra.json', extra.payload);
    const { code, stdout } = await checkMessage([
      '--file',
      file,
      '--rpc-url',
      node.url,
      '--deployment',
      deploymentFile,
    ]);
    expect(code).to.equal(1);
    expect(stdout).to.match(/^refused: invalid-schema \(field body\.firmware\)/);
    const forged = vectors.find((item: { name: string }) => item.name === 'Signed by another key');
    const forgedFile = write('forged.json', forged.payload);
    const answer = await checkMessage([
      '--file',
      forgedFile,
      '--rpc-url',
      node.url,
      '--deployment',
      deploymentFile,
      '--now',
      forged.receivedAt,
      '--json',
    ]);
    expect(answer.code).to.equal(1);
    expect(JSON.parse(answer.stdout).rejection).to.include({ reason: 'wrong-signer', field: 'sig' });
  });

  it('offline, checks what the message alone allows and says what it skipped', async function () {
    const item = vector('telemetry');
    const file = write('telemetry.json', item.payload);
    const { code, stdout } = await checkMessage([
      '--file',
      file,
      '--offline',
      '--now',
      item.oracle.receivedAt,
      '--json',
    ]);
    expect(code).to.equal(0);
    const answer = JSON.parse(stdout);
    expect(answer.verdict).to.equal('passes-offline');
    expect(answer.skipped.join(' ')).to.include('wrong-signer');
    expect(answer.derived.signer).to.equal(item.signer);
  });

  it('fails in one line, exit 2, when the chain does not answer or the arguments are wrong', async function () {
    const file = write('status.json', vector('status').payload);
    const port = await freePort();
    const down = await checkMessage([
      '--file',
      file,
      '--rpc-url',
      `http://127.0.0.1:${port}`,
      '--deployment',
      deploymentFile,
    ]);
    expect(down.code).to.equal(2);
    expect(down.stderr.trim().split('\n')).to.have.length(1);
    expect(down.stderr).to.include('use --offline');
    const missing = await checkMessage(['--offline']);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('--file is required');
  });
});
