import { randomBytes } from 'node:crypto';
import { task, types } from 'hardhat/config';
import { signInToApi, type ApiSession } from '../twin-core/src/auth/signInToApi';
import type { Hex } from '../twin-core/src/encoding/hex';
import { formatDeviceId } from '../twin-core/src/identity/deviceId';
import { MAX_COMMAND_TTL_SECONDS, signedCommandSchema, type UnsignedCommand } from '../twin-core/src/messages/command';
import { commandTypedData } from '../twin-core/src/signing/commandSignature';
import { resolveSigner, runTask, taskError } from './lib/cli';
import { loadRegistry } from './lib/registry';
import { deviceParam } from './twins';

type CommandArgs = {
  device: string;
  command: string;
  args: string;
  from: string;
  api: string;
  expiry: number;
  wait: number;
};

const FINAL = ['succeeded', 'failed', 'expired'];

task('command', "Signs a command as the twin's owner (EIP-712) and sends it through the API; waits for the answer")
  .addParam('device', 'DeviceID')
  .addParam(
    'command',
    'collect-snapshot, publish-static, set-intervals, ping, or an actuator the device declares (fan…)',
  )
  .addOptionalParam(
    'args',
    'The arguments as JSON, e.g. \'{"telemetrySeconds":5}\' or \'{"action":"turn_on","speed":60}\'',
    '{}',
  )
  .addOptionalParam('from', "The owner's account: index or address", '0')
  .addOptionalParam('api', 'The API (API_URL wins)', 'http://127.0.0.1:8080/api/v1')
  .addOptionalParam('expiry', `Seconds the command stays valid (at most ${MAX_COMMAND_TTL_SECONDS})`, 300, types.int)
  .addOptionalParam('wait', 'Seconds to wait for the final status (0: do not wait)', 15, types.int)
  .setAction((args: CommandArgs, hre) =>
    runTask(async () => {
      const deviceId = formatDeviceId(deviceParam(args.device));
      let parsedArgs: unknown;
      try {
        parsedArgs = JSON.parse(args.args);
      } catch (error) {
        throw taskError(`--args must be JSON, got ${JSON.stringify(args.args)}: ${(error as Error).message}`);
      }
      if (!(args.expiry >= 1 && args.expiry <= MAX_COMMAND_TTL_SECONDS))
        throw taskError(`--expiry must be 1 to ${MAX_COMMAND_TTL_SECONDS} seconds, got ${args.expiry}.`);
      const unsigned = {
        v: 1,
        kind: 'command',
        deviceId,
        command: args.command,
        args: parsedArgs,
        nonce: BigInt(`0x${randomBytes(8).toString('hex')}`).toString(),
        expiry: Math.floor(Date.now() / 1000) + args.expiry,
      };
      const checked = signedCommandSchema.omit({ sig: true }).safeParse(unsigned);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw taskError(`--${issue.path[0] === 'command' ? 'command' : 'args'}: ${issue.message}`);
      }
      const { deployment } = await loadRegistry(hre);
      const owner = await resolveSigner(hre, args.from);
      // The domain comes from this network's deployment, never from the API.
      const typed = commandTypedData(checked.data as UnsignedCommand, {
        chainId: deployment.chainId,
        registry: deployment.contracts.TwinRegistry,
      });
      const sig = await owner.signTypedData(typed.domain, { Command: [...typed.types.Command] }, typed.message);
      const api = (process.env.API_URL ?? args.api).replace(/\/$/, '');
      // Reading a command's status is for the twin's readers: the owner signs in (EIP-4361) once, after sending.
      let session: ApiSession | undefined;
      const request = async (path: string, init?: RequestInit) => {
        let response: Response;
        try {
          response = await fetch(`${api}${path}`, {
            ...init,
            headers: { 'content-type': 'application/json', ...(session === undefined ? {} : session.headers) },
          });
        } catch (error) {
          throw taskError(`The API at ${api} does not answer (${(error as Error).message}): is npm start running?`);
        }
        const body = (await response.json().catch(() => ({}))) as Record<string, any>;
        if (!response.ok)
          throw taskError(
            `The API refused the command (${response.status} ${body.error?.code}): ${body.error?.message}`,
          );
        return body;
      };
      const { v: _v, kind: _kind, deviceId: _id, ...fields } = checked.data;
      const sent = await request(`/twins/${deviceId}/commands`, {
        method: 'POST',
        body: JSON.stringify({ ...fields, sig }),
      });
      console.log(`Command ${sent.commandId} ${sent.command} sent by ${owner.address}: ${sent.status}`);
      let current = sent;
      const deadline = Date.now() + args.wait * 1000;
      if (!FINAL.includes(current.status) && args.wait > 0) {
        try {
          session = await signInToApi(api, owner);
        } catch (error) {
          throw taskError(`The command was sent, but its status cannot be read: ${(error as Error).message}`);
        }
      }
      while (!FINAL.includes(current.status) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        current = await request(`/twins/${deviceId}/commands/${sent.commandId as Hex}`);
      }
      if (current.status !== sent.status) console.log(`  ${current.status}`);
      if (current.result) console.log(`  result ${JSON.stringify(current.result)}`);
      if (current.error) console.log(`  error ${current.error.code}: ${current.error.message}`);
      if (!FINAL.includes(current.status))
        console.log(`  no final status within ${args.wait} s (still ${current.status})`);
      return current;
    }),
  );
