import { getAddress } from 'ethers';
import { ApiError } from '../errors';
import type { RelayContext } from './createRelayer';
import { chainUnavailable, relayCallError } from './decodeRevert';
import { encodeRelayCall } from './encodeRelayCall';
import { FORWARD_REQUEST_TYPES, prepareBodySchema, type PrepareBody, type TypedForwardRequest } from './forwardRequest';
import { parseDeviceIdInput, parseInput } from './parseInput';

/** Gas added to the estimate of the direct call, in percent: the relayed call also reads the appended sender. */
const GAS_MARGIN_PERCENT = 25n;

/**
 * The EIP-712 `ForwardRequest` a user signs for an action: the calldata from the action's arguments, the user's
 * current forwarder nonce, the gas of the call (estimated as the user calling the registry directly, plus a
 * margin), value 0 and a deadline `deadlineSeconds` (default 600) after the latest block. A call that would revert
 * is a 422 `relay-reverted` with the decoded error, before the user signs anything.
 *
 * @example
 * const { domain, types, message } = await prepareRequest(context, { from, action: 'list', deviceId, args: { price: '1000' } })
 * const signature = await signer.signTypedData(domain, types, message)
 */
export async function prepareRequest(context: RelayContext, parameters: PrepareBody): Promise<TypedForwardRequest> {
  const body = parseInput(prepareBodySchema, parameters);
  const from = getAddress(body.from);
  const deviceId = body.deviceId === undefined ? undefined : parseDeviceIdInput(body.deviceId, 'deviceId');
  const data = encodeRelayCall({ action: body.action, deviceId, args: body.args });

  const estimate = context.provider.estimateGas({ from, to: context.registry, data }).catch((error: unknown) => {
    throw relayCallError(error, `${body.action} by ${from}`);
  });
  const chain = Promise.all([
    context.domain(),
    context.forwarder.nonces(from),
    context.provider.getBlock('latest'),
  ]).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  const [gasEstimate, [domain, nonce, block]] = await Promise.all([estimate, chain]);
  if (block === null) throw chainUnavailable(new Error('the node has no latest block'));

  const gas = (gasEstimate * (100n + GAS_MARGIN_PERCENT)) / 100n;
  if (gas > context.maxGas) {
    throw new ApiError(`${body.action} needs ${gas} gas, more than the relay's limit of ${context.maxGas}.`, {
      status: 400,
      code: 'relay-gas-too-high',
      details: { gas: gas.toString(), maxGas: context.maxGas.toString() },
    });
  }
  return {
    domain,
    types: { ForwardRequest: FORWARD_REQUEST_TYPES.ForwardRequest.map((field) => ({ ...field })) },
    primaryType: 'ForwardRequest',
    message: {
      from,
      to: context.registry,
      value: '0',
      gas: gas.toString(),
      nonce: nonce.toString(),
      deadline: String(block.timestamp + body.deadlineSeconds),
      data,
    },
  };
}
