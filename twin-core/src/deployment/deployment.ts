import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { BaseError } from '../errors/BaseError';
import { parseOrThrow } from '../errors/parseOrThrow';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

/** Names of the deployed contracts, as keys of {@link Deployment.contracts}. */
export const CONTRACT_NAMES = ['TwinForwarder', 'EntityRegistry', 'TwinRegistry', 'SnapshotAnchor'] as const;

/**
 * Where the registry is deployed on one network: written by `npx hardhat deploy`, read by every service
 * (`deployments/<network>.json`).
 */
export const deploymentSchema = z.object({
  network: z.string().min(1),
  chainId: z.number().int().positive(),
  /** Block of the first deployment transaction: where event followers start. */
  deploymentBlock: z.number().int().nonnegative(),
  deployedAt: z.iso.datetime(),
  deployer: address,
  contracts: z.object({
    TwinForwarder: address,
    EntityRegistry: address,
    TwinRegistry: address,
    SnapshotAnchor: address,
  }),
});

/** A network's deployment record. */
export type Deployment = z.output<typeof deploymentSchema>;

/** The deployment file is missing or invalid. */
export class DeploymentError extends BaseError {
  override name = 'DeploymentError';
}

/** The deployment file of `network` under `directory` (default: env `DEPLOYMENTS_DIR`, else `deployments/`). */
export function deploymentPath(network: string, directory = process.env.DEPLOYMENTS_DIR || 'deployments'): string {
  return join(directory, `${network}.json`);
}

/**
 * Reads and validates a deployment file.
 *
 * @example
 * const { contracts, chainId } = readDeployment(deploymentPath('localhost'))
 */
export function readDeployment(file: string): Deployment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeploymentError('No deployment found.', {
      details: `cannot read ${file}: deploy first (npx hardhat deploy --network <network>)`,
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeploymentError('Deployment file is not JSON.', { details: file, cause: error });
  }
  return parseOrThrow(
    deploymentSchema,
    json,
    'deployment',
    (lines) => new DeploymentError(`Invalid deployment file ${file}.`, { metaMessages: lines }),
  );
}

/** Writes a deployment file atomically (write then rename), creating its directory. */
export function writeDeployment(file: string, deployment: Deployment): void {
  const valid = deploymentSchema.parse(deployment);
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(valid, null, 2)}\n`);
  renameSync(temporary, file);
}
