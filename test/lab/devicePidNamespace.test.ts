import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { createLab, labUnavailable, type Lab } from '../../lab/src';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Polls `probe` every 100 ms until it returns a value that is not undefined, or until `ms` (a loaded machine is slow). */
async function until<T>(probe: () => T | undefined, ms = 10_000): Promise<T | undefined> {
  for (let waited = 0; ; waited += 100) {
    const value = probe();
    if (value !== undefined || waited >= ms) return value;
    await sleep(100);
  }
}
const alive = (pid: number) => {
  try {
    // a zombie waiting for its reaper is gone as far as the lab is concerned
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};
/** Host PIDs of the processes in the lab's device network namespace whose command line contains `marker`. */
const hostPids = (lab: Lab, marker: string) =>
  (spawnSync('ip', ['netns', 'pids', lab.device.name], { encoding: 'utf8' }).stdout ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });

describe("The lab device's own PID namespace (issue 17)", function () {
  this.timeout(60_000);
  let lab: Lab | undefined;

  before(function () {
    const reason = labUnavailable();
    if (reason) {
      process.stdout.write(`      skipped: ${reason}\n`);
      this.skip();
    }
  });

  afterEach(async function () {
    await lab?.close();
    lab = undefined;
  });

  it("shows a device process the device's processes only, with a /proc of its own, and passes it signals", async function () {
    lab = createLab({ id: `p${process.pid % 100000}` });
    const sleeper = lab.spawnIn(lab.device, 'sleep', ['300']);
    const list = async () => {
      const listing = lab!.spawnIn(lab!.device, 'sh', ['-c', 'echo "$$"; for p in /proc/[0-9]*; do echo "${p#/proc/} $(cat $p/comm)"; done'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      listing.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      expect(await new Promise((resolve) => listing.once('exit', resolve))).to.equal(0);
      const [self, ...rows] = output.trim().split('\n');
      return { self, processes: rows.map((row) => row.split(' ')).map(([pid, comm]) => ({ pid: Number(pid), comm })) };
    };
    // The sleeper enters the namespace through the lab's init (its exec may not have happened yet): list until it shows.
    let { self, processes } = await list();
    const deadline = Date.now() + 10_000;
    while (!processes.some((row) => row.comm === 'sleep') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ({ self, processes } = await list());
    }
    // PID 1 is the lab's init; then the sleeper and this shell: no kernel thread, no host process (the test runner)
    expect(processes.find((row) => row.pid === 1)?.comm).to.equal('python3');
    expect(processes.map((row) => row.comm)).to.include.members(['sleep', 'sh']);
    expect(processes.length).to.be.at.most(4);
    expect(processes.some((row) => row.pid === process.pid)).to.equal(false);
    expect(processes.some((row) => /^(kthreadd|kworker|ksoftirqd|rcu_)/.test(row.comm!))).to.equal(false);
    expect(Number(self)).to.be.below(10);
    // the network is still the device's: its address is on its interface
    const addresses = spawnSync('ip', ['netns', 'exec', lab.device.name, 'ip', '-4', '-o', 'addr'], { encoding: 'utf8' }).stdout;
    expect(addresses).to.include(lab.device.address);
    // SIGTERM to the spawned process reaches the command inside
    sleeper.kill('SIGTERM');
    expect(await new Promise((resolve) => sleeper.once('exit', (_code, signal) => resolve(signal)))).to.equal('SIGTERM');
    expect(lab.deviceInitPid()).to.be.a('number');
  });

  it("ends every device process, even one that left its parent, when the device's PID 1 dies and when the lab closes", async function () {
    lab = createLab({ id: `q${process.pid % 100000}` });
    // a daemon: its parent exits at once, it is adopted by the namespace's PID 1
    const daemonize = lab.spawnIn(lab.device, 'sh', ['-c', '(sleep 301 &) ; exit 0']);
    await new Promise((resolve) => daemonize.once('exit', resolve));
    const orphan = await until(() => hostPids(lab!, 'sleep\u0000301')[0]);
    expect(orphan, 'the orphaned sleep').to.be.a('number');
    process.kill(lab.deviceInitPid()!, 'SIGKILL');
    expect(await until(() => (alive(orphan!) ? undefined : true))).to.equal(true);

    // a new lab: close() ends a daemon and a process that ignores SIGTERM
    await lab.close();
    lab = createLab({ id: `r${process.pid % 100000}` });
    const stubborn = lab.spawnIn(lab.device, 'sh', ['-c', "trap '' TERM; (sleep 302 &); while :; do sleep 1; done"]);
    const daemon = await until(() => hostPids(lab!, 'sleep\u0000302')[0]);
    const pids = [daemon, stubborn.pid, lab.deviceInitPid()].filter((pid): pid is number => pid !== undefined);
    expect(pids).to.have.length(3);
    const closed = lab;
    lab = undefined;
    await closed.close();
    expect(await until(() => (pids.some(alive) ? undefined : true))).to.equal(true, `still alive: ${pids.filter(alive)}`);
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.to.include(closed.device.name);
  });
});
