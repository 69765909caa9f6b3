import { dataSlice } from 'ethers';
import { ApiError } from '../errors';
import { invalidInput } from './parseInput';
import { RELAY_ACTION_NAMES, relayActions, type RelayActionName } from './relayActions';
import { twinRegistryInterface } from './registryInterface';

/** The action a relayed calldata performs. */
export type DecodedRelayCall = {
  action: RelayActionName;
  /** The TwinRegistry function called. */
  functionName: string;
  /** The twin acted on; absent for `withdraw`. */
  deviceId?: bigint;
};

const actionByFunction = new Map<string, RelayActionName>(
  RELAY_ACTION_NAMES.map((name) => [relayActions[name].functionName, name]),
);

/**
 * Reads TwinRegistry calldata as one of the allowed actions; anything else is a 400 `relay-action-not-allowed`,
 * and calldata that is not the function's canonical ABI encoding a 400 `invalid-input`.
 *
 * @example
 * const { action, deviceId } = decodeRelayCall(request.data)
 */
export function decodeRelayCall(data: string): DecodedRelayCall {
  const fragment = data.length >= 10 ? twinRegistryInterface.getFunction(dataSlice(data, 0, 4)) : null;
  const action = fragment === null ? undefined : actionByFunction.get(fragment.name);
  if (fragment === null || action === undefined) {
    const called = fragment?.name ?? (data.length >= 10 ? dataSlice(data, 0, 4) : 'no function');
    throw new ApiError(`The relay does not call ${called} for users.`, {
      status: 400,
      code: 'relay-action-not-allowed',
      details: { function: called, allowed: RELAY_ACTION_NAMES },
    });
  }
  let canonical: string | undefined;
  let deviceId: bigint | undefined;
  try {
    const decoded = twinRegistryInterface.decodeFunctionData(fragment, data);
    canonical = twinRegistryInterface.encodeFunctionData(fragment, decoded);
    if (relayActions[action].takesDevice) deviceId = decoded[0] as bigint;
  } catch {
    // reported below
  }
  if (canonical === undefined || canonical !== data.toLowerCase()) {
    throw invalidInput('request.data', `is not a well-formed ${fragment.name} call`);
  }
  return { action, functionName: fragment.name, ...(deviceId === undefined ? {} : { deviceId }) };
}
