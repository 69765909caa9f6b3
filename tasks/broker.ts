import { task, types } from 'hardhat/config';
import { runTask, taskError } from './lib/cli';
import { loadRegistry } from './lib/registry';

task(
  'broker-config',
  "Writes a Mosquitto password file and ACL file from the chain's principals, and a mosquitto.conf using them (see broker/README.md)",
)
  .addParam('out', 'Directory of the generated `passwords`, `acl` and `mosquitto.conf` files')
  .addOptionalParam('port', "The listener's port in mosquitto.conf", 1883, types.int)
  .addOptionalParam('host', "The listener's address in mosquitto.conf (default: every interface)")
  .addOptionalParam(
    'watch',
    'Keep the files in step with the chain: regenerate at once on every registry event, and at least every this many seconds (0: once)',
    0,
    types.int,
  )
  .addOptionalParam('pid', 'Mosquitto process to send SIGHUP after each change (it reloads both files)', 0, types.int)
  .addOptionalParam('printPassword', "Print this principal's password (username <kind>.<id>) and exit")
  .setAction((args: { out: string; port: number; host?: string; watch: number; pid: number; printPassword?: string }, hre) =>
    runTask(async () => {
      const secret = process.env.BROKER_SECRET;
      if (!secret || secret.length < 32) throw taskError('Set BROKER_SECRET (at least 32 characters): the passwords derive from it.');
      const { brokerPrincipalsFromChain, mosquittoPassword, watchMosquittoConfig, writeMosquittoConf, writeMosquittoFiles } =
        await import('../broker/src');
      const { brokerRealm } = await import('../twin-core/src/broker/principal');
      if (args.printPassword !== undefined) return console.log(mosquittoPassword(secret, args.printPassword));
      // The listener and the queue limits (broker/README.md), naming the files below; never overwritten (the operator
      // may have added TLS lines to it).
      const { existsSync } = await import('node:fs');
      const { join } = await import('node:path');
      if (existsSync(join(args.out, 'mosquitto.conf'))) console.log(`${join(args.out, 'mosquitto.conf')} kept (delete it to regenerate)`);
      else {
        const confFile = writeMosquittoConf({ directory: args.out, port: args.port, ...(args.host ? { host: args.host } : {}) });
        console.log(`${confFile} written: start Mosquitto with mosquitto -c ${confFile}`);
      }
      const { deployment } = await loadRegistry(hre);
      console.log(`Realm ${brokerRealm(deployment)} (TWIN_AGENT_MQTT_REALM)`);
      const report = (files: { principals: number; passwordFile: string; aclFile: string }, reason = 'start') =>
        console.log(`${files.principals} principals (${reason}): ${files.passwordFile}, ${files.aclFile}`);
      if (args.watch <= 0) {
        const entries = await brokerPrincipalsFromChain({ provider: hre.ethers.provider, deployment });
        report(writeMosquittoFiles({ directory: args.out, entries, secret }));
        if (args.pid > 0) process.kill(args.pid, 'SIGHUP');
        return;
      }
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await watchMosquittoConfig({
        provider: hre.ethers.provider,
        deployment,
        directory: args.out,
        secret,
        fullEveryMs: args.watch * 1000,
        ...(args.pid > 0 ? { pid: args.pid } : {}),
        onWrite: report,
        signal: stop.signal,
      });
    }),
  );
