import { task, types } from 'hardhat/config';
import { runTask, taskError } from './lib/cli';
import { loadRegistry } from './lib/registry';

task('broker-config', "Writes a Mosquitto password file and ACL file from the chain's principals (see broker/README.md)")
  .addParam('out', 'Directory of the generated `passwords` and `acl` files')
  .addOptionalParam('watch', 'Regenerate every this many seconds (0: once)', 0, types.int)
  .addOptionalParam('pid', 'Mosquitto process to send SIGHUP after each change (it reloads both files)', 0, types.int)
  .addOptionalParam('printPassword', "Print this principal's password (username <kind>.<id>) and exit")
  .addFlag('anonymousRead', 'Let anonymous clients read the public topics (static documents)')
  .setAction((args: { out: string; watch: number; pid: number; printPassword?: string; anonymousRead: boolean }, hre) =>
    runTask(async () => {
      const secret = process.env.BROKER_SECRET;
      if (!secret || secret.length < 32) throw taskError('Set BROKER_SECRET (at least 32 characters): the passwords derive from it.');
      const { brokerPrincipalsFromChain, mosquittoPassword, writeMosquittoFiles } = await import('../broker/src');
      const { brokerRealm } = await import('../twin-core/src/broker/principal');
      if (args.printPassword !== undefined) return console.log(mosquittoPassword(secret, args.printPassword));
      const { deployment } = await loadRegistry(hre);
      console.log(`Realm ${brokerRealm(deployment)} (TWIN_AGENT_MQTT_REALM)`);
      let last = '';
      for (;;) {
        const entries = await brokerPrincipalsFromChain({ provider: hre.ethers.provider, deployment });
        const key = JSON.stringify(entries);
        if (key !== last) {
          last = key;
          const files = writeMosquittoFiles({ directory: args.out, entries, secret, anonymousRead: args.anonymousRead });
          console.log(`${files.principals} principals: ${files.passwordFile}, ${files.aclFile}`);
          if (args.pid > 0) process.kill(args.pid, 'SIGHUP');
        }
        if (args.watch <= 0) return;
        await new Promise((resolve) => setTimeout(resolve, args.watch * 1000));
      }
    }),
  );
