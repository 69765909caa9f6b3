import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ethers } from 'ethers';
import { computeDeviceId, formatDeviceId } from '../../twin-core/src/identity/deviceId';
import { snapshotMessageSchema } from '../../twin-core/src/messages/envelope';
import { hashDeviceMessage } from '../../twin-core/src/signing/messageSignature';
import { mintAttestationTypedData } from '../../twin-core/src/signing/mintAttestation';
import { ensureBuilt } from '../../scripts/ensureBuilt';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'agent', 'dist', 'agent', 'src', 'cli.js');
/** Debian's Node (older than the project's 24): the agent must run on what a device ships. */
const SYSTEM_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => existsSync(path));

type Run = { status: number | null; stdout: string; stderr: string };

function agent(args: string[], env: Record<string, string> = {}, node = process.execPath): Run {
  const result = spawnSync(node, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('twin-agent CLI (built JavaScript, real processes)', function () {
  this.timeout(120_000);
  let directory: string;
  let configFile: string;
  const identity = {
    serialNumber: 'ci-serial-0001',
    manufacturer: 'Twin Test Lab',
    hardwareModel: 'CI container',
    hardwareRevision: '1',
  };

  before(function () {
    // The CLI as `npm run agent` runs it: built first when missing or stale.
    ensureBuilt(['agent']);
    directory = mkdtempSync(join(tmpdir(), 'agent-cli-'));
    configFile = join(directory, 'agent.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        dataDir: join(directory, 'data'),
        identity,
        ownerId: 'owner-7',
        location: { latitude: 52.37, longitude: 4.9 },
      }),
    );
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  describe('identity', function () {
    it('prints the DeviceID of the static document and the signer of a key it keeps with mode 0600', function () {
      const run = agent(['identity', '--config', configFile, '--static-out', join(directory, 'static.json')]);
      expect(run.status, run.stderr).to.equal(0);
      const printed = JSON.parse(run.stdout) as {
        deviceId: string;
        deviceSigner: string;
        identity: unknown;
        staticCid: string;
      };
      expect(printed.deviceId).to.equal(formatDeviceId(computeDeviceId(printed.identity as never)));
      expect(printed.staticCid).to.match(/^bafkrei[a-z2-7]{52}$/);
      expect(statSync(join(directory, 'data', 'device.key')).mode & 0o777).to.equal(0o600);
      const again = JSON.parse(agent(['identity', '--config', configFile]).stdout) as { deviceSigner: string };
      expect(again.deviceSigner).to.equal(printed.deviceSigner);
      expect(existsSync(join(directory, 'static.json'))).to.equal(true);
    });

    it("with --manufacturer-account, --chain-id and --registry also prints the device key's mint attestation", function () {
      const manufacturer = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
      const registry = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0';
      const run = agent([
        'identity',
        '--config',
        configFile,
        '--manufacturer-account',
        manufacturer,
        '--chain-id',
        '31337',
        '--registry',
        registry,
      ]);
      expect(run.status, run.stderr).to.equal(0);
      const printed = JSON.parse(run.stdout) as {
        deviceId: string;
        deviceSigner: string;
        attestation: string;
        attestedFor: { manufacturer: string; chainId: number; registry: string };
      };
      expect(printed.attestedFor).to.deep.equal({ manufacturer, chainId: 31337, registry });
      const typed = mintAttestationTypedData({ deviceId: printed.deviceId, manufacturer, chainId: 31337, registry });
      const types = { MintAttestation: [...typed.types.MintAttestation] };
      expect(ethers.verifyTypedData(typed.domain, types, typed.message, printed.attestation)).to.equal(
        printed.deviceSigner,
      );
    });

    it('refuses an incomplete or malformed attestation request, naming the option', function () {
      const incomplete = agent(['identity', '--config', configFile, '--chain-id', '31337']);
      expect(incomplete.status).to.equal(2);
      expect(incomplete.stderr).to.contain('missing --manufacturer-account, --registry');
      const malformed = agent([
        'identity',
        '--config',
        configFile,
        '--manufacturer-account',
        '0x12',
        '--chain-id',
        '31337',
        '--registry',
        '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
      ]);
      expect(malformed.status).to.equal(2);
      expect(malformed.stderr).to.contain('--manufacturer-account must be an address');
      expect(malformed.stderr).not.to.match(/\n\s+at /);
    });
  });

  describe('once --print', function () {
    const nodes: [string, string | undefined][] = [
      ['the project Node', process.execPath],
      ['the system Node (older, as on a device)', SYSTEM_NODE],
    ];
    for (const [label, node] of nodes) {
      it(`writes a schema-valid signed snapshot of this machine on ${label}`, function () {
        if (node === undefined) {
          console.log('        skipped: no system Node at /usr/bin/node');
          this.skip();
        }
        const run = agent(['once', '--print', '--config', configFile], {}, node);
        expect(run.status, run.stderr).to.equal(0);
        const message = snapshotMessageSchema.parse(JSON.parse(run.stdout));
        const body = message.body;
        expect(body.owner).to.deep.equal({ ownerId: 'owner-7', location: { latitude: 52.37, longitude: 4.9 } });
        expect(body.processes.available && body.processes.value.list.length).to.be.greaterThan(0);
        expect(body.network.available && body.network.value.interfaces.length).to.be.greaterThan(0);
        expect(body.memory.available && body.memory.value.totalKiB).to.be.greaterThan(0);
        const { deviceSigner } = JSON.parse(agent(['identity', '--config', configFile]).stdout) as {
          deviceSigner: string;
        };
        expect(ethers.verifyMessage(ethers.getBytes(hashDeviceMessage(message)), message.sig)).to.equal(deviceSigner);
      });
    }

    it('numbers consecutive runs with strictly increasing sequence numbers', function () {
      const seqs = [0, 1].map(
        () => (JSON.parse(agent(['once', '--print', '--config', configFile]).stdout) as { seq: number }).seq,
      );
      expect(seqs[1]).to.be.greaterThan(seqs[0]!);
    });

    it('writes the whole message into a pipe whose reader starts late (it exits only once stdout has taken it)', function () {
      // The reader sleeps 3 s: the pipe takes 64 KiB at once, Node.js writes the rest when it drains. An exit right
      // after the write cut the message at 65,536 bytes. The message must be larger than that whatever the machine
      // runs, so 150 processes with long command lines are in its process table while it collects.
      const padding = 'x'.repeat(400);
      const sleepers = Array.from({ length: 150 }, () =>
        spawn('bash', ['-c', 'sleep 60; :', `pipe-test-${padding}`], { stdio: 'ignore' }),
      );
      let piped: ReturnType<typeof spawnSync>;
      try {
        piped = spawnSync(
          'bash',
          ['-c', 'set -o pipefail; "$NODE" "$CLI" once --print --config "$CONFIG" | (sleep 3; cat)'],
          {
            cwd: ROOT,
            env: {
              PATH: process.env.PATH ?? '',
              HOME: process.env.HOME ?? '/tmp',
              NODE: process.execPath,
              CLI,
              CONFIG: configFile,
              TWIN_AGENT_PROCESS_LIMIT: '2000',
            },
            encoding: 'utf8',
            timeout: 60_000,
            maxBuffer: 16 * 1024 * 1024,
          },
        );
      } finally {
        for (const sleeper of sleepers) sleeper.kill('SIGKILL');
      }
      expect(piped.status, String(piped.stderr)).to.equal(0);
      expect(piped.stdout.length).to.be.greaterThan(65_536);
      expect(snapshotMessageSchema.parse(JSON.parse(String(piped.stdout))).kind).to.equal('snapshot');
    });
  });

  describe('when the configuration or the device is wrong', function () {
    it('names the bad field and its value, with no stack trace', function () {
      const run = agent(['identity', '--config', configFile], { TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '-5' });
      expect(run.status).to.equal(2);
      expect(run.stderr).to.contain('TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS');
      expect(run.stderr).to.contain('"-5"');
      expect(run.stderr).not.to.match(/\n\s+at /);
    });

    it('redacts the MQTT password when it is the bad value', function () {
      const bad = join(directory, 'bad.json');
      writeFileSync(bad, JSON.stringify({ mqttPassword: '', mqttUrl: 'mqtt://127.0.0.1:1' }));
      const run = agent(['identity', '--config', bad], { TWIN_AGENT_MQTT_PASSWORD: '' });
      expect(run.status).to.equal(2);
      expect(run.stderr).to.contain('mqttPassword');
      expect(run.stderr).to.contain('<redacted>');
    });

    it('names each identity field the device cannot provide and the config key to set', function () {
      const empty = mkdtempSync(join(tmpdir(), 'empty-proc-'));
      const run = agent(['identity'], {
        TWIN_AGENT_DATA_DIR: join(directory, 'fresh-data'),
        TWIN_AGENT_PROC_ROOT: empty,
        TWIN_AGENT_SYS_ROOT: empty,
        // No /etc/machine-id either: nothing to derive a serial from.
        TWIN_AGENT_ETC_ROOT: empty,
      });
      rmSync(empty, { recursive: true, force: true });
      expect(run.status).to.equal(2);
      expect(run.stderr).to.contain('identity.macAddress');
      expect(run.stderr).to.contain('identity.serialNumber');
      expect(run.stderr).to.contain('agent config');
      expect(run.stderr).not.to.match(/\n\s+at /);
    });

    it('refuses an unknown command or a bad simulate flag with the usage', function () {
      const unknown = agent(['fly', '--config', configFile]);
      expect(unknown.status).to.equal(2);
      expect(unknown.stderr).to.contain('Unknown command "fly"');
      const bad = agent(['simulate', '--devices', 'many', '--config', configFile]);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain('--devices must be a positive integer, got "many"');
    });
  });

  describe('what it loads at run time', function () {
    it('is one file (issue 17): it loads no module but its own bundle and Node.js built-ins', function () {
      const hook = join(directory, 'record-modules.js');
      writeFileSync(
        hook,
        "const Module = require('module'); const seen = new Set(); const load = Module._load;" +
          'Module._load = function (request, parent, isMain) { const result = load.apply(this, arguments);' +
          'try { seen.add(Module._resolveFilename(request, parent, isMain)); } catch {} return result; };' +
          "process.on('exit', () => require('fs').writeFileSync(process.env.MODULES_OUT, JSON.stringify([...seen])));",
      );
      const out = join(directory, 'modules.json');
      const result = spawnSync(process.execPath, ['-r', hook, CLI, 'once', '--print', '--config', configFile], {
        env: { PATH: process.env.PATH ?? '', MODULES_OUT: out },
        encoding: 'utf8',
      });
      expect(result.status, result.stderr).to.equal(0);
      expect((JSON.parse(result.stdout) as { kind: string }).kind).to.equal('snapshot');
      const modules = JSON.parse(readFileSync(out, 'utf8')) as string[];
      // The recording works: the built-ins the collector reads with are there.
      expect(modules).to.include('node:fs');
      expect(modules.filter((file) => !builtinModules.includes(file.replace(/^node:/, '')))).to.deep.equal([CLI]);
    });

    it('bundles no code from Hardhat, ethers, IPFS, the API, zod or ajv (its validators are generated)', function () {
      const { inputs } = JSON.parse(readFileSync(join(dirname(CLI), 'cli.inputs.json'), 'utf8')) as {
        inputs: Record<string, number>;
      };
      const packages = new Set(
        Object.keys(inputs)
          .filter((file) => file.includes('node_modules'))
          .map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)![1]!),
      );
      for (const forbidden of [
        'hardhat',
        'ethers',
        'helia',
        'kubo-rpc-client',
        'express',
        '@openzeppelin/merkle-tree',
        'zod',
        'ajv',
      ]) {
        expect(packages.has(forbidden), forbidden).to.equal(false);
      }
      // The list is real: the signer, the MQTT client and the generated validators are in it.
      expect(packages.has('@noble/curves')).to.equal(true);
      expect(packages.has('mqtt')).to.equal(true);
      expect(inputs).to.have.property('agent/src/validate/generated/messages.js').that.is.greaterThan(100_000);
    });

    it('keeps the V8 flags of agent/src/cli.ts on its first line', function () {
      const firstLine = (file: string) => readFileSync(file, 'utf8').split('\n', 1)[0];
      expect(firstLine(CLI)).to.equal(firstLine(join(ROOT, 'agent', 'src', 'cli.ts')));
      expect(firstLine(CLI)).to.match(/^#!\/usr\/bin\/env -S node --max-semi-space-size=1 /);
    });
  });
});
