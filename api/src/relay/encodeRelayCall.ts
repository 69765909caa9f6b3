import { invalidInput, parseInput } from './parseInput';
import { relayActions, type RelayAction, type RelayActionName } from './relayActions';
import { twinRegistryInterface } from './registryInterface';

/** Parameters of {@link encodeRelayCall}. */
export type EncodeRelayCallParameters = {
  action: RelayActionName;
  /** Required by every action but `withdraw`. */
  deviceId?: bigint | undefined;
  /** The action's arguments, checked against its schema (`relayActions[action].args`). */
  args: unknown;
};

/**
 * The TwinRegistry calldata of an action, its arguments validated (a 400 `invalid-input` naming the field otherwise).
 *
 * @example
 * const data = encodeRelayCall({ action: 'setState', deviceId, args: { state: 'suspended', reason: 'bafy…' } })
 */
export function encodeRelayCall({ action, deviceId, args }: EncodeRelayCallParameters): string {
  const definition = relayActions[action] as RelayAction;
  if (definition.takesDevice && deviceId === undefined) {
    throw invalidInput('deviceId', `is required by the ${action} action`);
  }
  if (!definition.takesDevice && deviceId !== undefined) {
    throw invalidInput('deviceId', `is not taken by the ${action} action`);
  }
  const parameters = definition.toParameters(parseInput(definition.args, args, { prefix: 'args' }));
  return twinRegistryInterface.encodeFunctionData(
    definition.functionName,
    definition.takesDevice ? [deviceId, ...parameters] : parameters,
  );
}
