/**
 * `npm run check-message -- --file msg.json [--topic twins/0x…/snapshot] [--offline] [--rpc-url URL]
 * [--deployment FILE] [--now ISO] [--json]`: what the oracle would answer about a message, sending nothing.
 * Exit code 0 when it would be accepted (or passes every offline check), 1 when it would be refused, 2 on bad
 * arguments or an unreachable chain.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { JsonRpcProvider } from 'ethers';
import { deploymentPath, readDeployment } from '../../twin-core/src/deployment/deployment';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';
import { dryRunMessage, messageTopic, type DryRunResult } from './ingest/dryRunMessage';
import { createChainTwinDirectory } from './ingest/chainTwins';

const USAGE = `Usage: npm run check-message -- --file FILE [options]

Says what the oracle would answer about a device message (accepted, or the rejection reason and the field at
fault), and what it would store and anchor. Sends nothing, writes nothing.

  --file FILE        the message's exact payload (- for standard input)
  --topic TOPIC      the topic it is published on (default: twins/{its deviceId}/{its kind})
  --offline          only the checks the message alone allows (no chain): size, JSON, schema, topic, signature
                     recovery, time, a static document's DeviceID
  --rpc-url URL      the chain (default: RPC_URL, else http://127.0.0.1:8545)
  --deployment FILE  the contract addresses (default: deployments/localhost.json)
  --now ISO          the arrival time to judge the message's time against (default: now)
  --json             the answer as JSON

The replay check needs the oracle's own sequence state: it is skipped (and said so).
Exit code: 0 accepted (or passes the offline checks), 1 refused, 2 bad arguments or chain unreachable.
`;

class UsageError extends BaseError {
  override name = 'UsageError';
}

function describe(result: DryRunResult): string {
  const lines: string[] = [];
  if (result.rejection !== undefined) {
    const { reason, field, detail, trigger } = result.rejection;
    lines.push(`refused: ${reason}${field ? ` (field ${field})` : ''}`, `  ${detail}`, `  ${reason}: ${trigger}`);
  } else {
    lines.push(result.verdict === 'accepted' ? 'accepted' : 'passes every offline check');
  }
  for (const skipped of result.skipped) lines.push(`not checked: ${skipped}`);
  const derived = result.derived;
  if (derived !== undefined) {
    lines.push(
      `${derived.kind} of ${derived.deviceId}, seq ${derived.seq}`,
      `  signer       ${derived.signer}`,
      `  hash         ${derived.hash}`,
      `  stored bytes ${derived.storedBytes}${derived.storedCid ? `, CID ${derived.storedCid}` : ''}`,
    );
    if (derived.merkleLeaf) lines.push(`  merkle leaf  ${derived.merkleLeaf}`);
    if (derived.staticDocument) {
      lines.push(
        `  document     DeviceID ${derived.staticDocument.deviceId}`,
        `               staticHash ${derived.staticDocument.staticHash}, CID ${derived.staticDocument.cid}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string' },
      topic: { type: 'string' },
      offline: { type: 'boolean', default: false },
      'rpc-url': { type: 'string' },
      deployment: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.file === undefined) throw new UsageError('--file is required (the message payload, or - for stdin).');
  let payload: Buffer;
  try {
    payload = readFileSync(values.file === '-' ? 0 : values.file);
  } catch (error) {
    throw new UsageError(`Cannot read ${values.file}: ${(error as Error).message}`);
  }
  const now = values.now === undefined ? Date.now() : Date.parse(values.now);
  if (Number.isNaN(now)) throw new UsageError(`--now must be an ISO 8601 time, got ${JSON.stringify(values.now)}.`);
  const topic = values.topic ?? messageTopic(payload);

  let provider: JsonRpcProvider | undefined;
  try {
    let twins;
    if (!values.offline) {
      const deployment = readDeployment(values.deployment ?? deploymentPath('localhost'));
      const rpcUrl = values['rpc-url'] ?? process.env.RPC_URL ?? 'http://127.0.0.1:8545';
      provider = new JsonRpcProvider(rpcUrl, deployment.chainId, { staticNetwork: true });
      await provider.getBlockNumber().catch((error: Error) => {
        throw new UsageError(`The chain at ${rpcUrl} did not answer (${error.message.split('\n')[0]}); use --offline.`);
      });
      twins = createChainTwinDirectory({ provider, twinRegistry: deployment.contracts.TwinRegistry, cacheMs: 0 });
    }
    const result = await dryRunMessage({ topic, payload, now, ...(twins ? { twins } : {}) });
    process.stdout.write(values.json ? `${JSON.stringify({ topic, ...result }, null, 2)}\n` : describe(result));
    return result.verdict === 'refused' ? 1 : 0;
  } finally {
    provider?.destroy();
  }
}

assertNodeVersion(22, 'check-message');
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof BaseError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`check-message: ${(error as Error).message.split('\n')[0]}\n`);
    if (!known) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    process.exit(known ? 2 : 1);
  },
);
