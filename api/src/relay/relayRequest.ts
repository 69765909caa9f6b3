import { getAddress } from 'ethers';
import { formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { StoreError } from '../../../store/src';
import { ApiError } from '../errors';
import type { RelayContext } from './createRelayer';
import { chainUnavailable, relayCallError } from './decodeRevert';
import { decodeRelayCall, type DecodedRelayCall } from './decodeRelayCall';
import { relayBodySchema, type ForwardRequestMessage, type RelayBody, type RelayResult } from './forwardRequest';
import { parseDeviceIdInput, parseInput } from './parseInput';

/** The request `execute` takes: the signed message without its nonce, with the signature. */
type ForwardRequestData = {
  from: string;
  to: string;
  value: bigint;
  gas: bigint;
  deadline: bigint;
  data: string;
  signature: string;
};

/** What the route relaying a request expects it to do; a request doing anything else is refused. */
export type RelayExpectation = {
  /** The allowed action names, e.g. `['setState']` for `PUT /twins/:id/state`. */
  actions?: readonly string[] | undefined;
  /** The twin the request must act on (0x + 64 hex digits or decimal), e.g. the route's `:id`. */
  deviceId?: string | undefined;
};

/**
 * Relays a user's signed `ForwardRequest` to the TwinRegistry. Before spending gas it checks, each failure with
 * its own code: the body's shape (400 `invalid-input`), the target (400 `relay-target-not-allowed`), a zero value
 * (400 `relay-value-not-allowed`), an allowed action (400 `relay-action-not-allowed`), the route's expectation
 * (400 `relay-request-mismatch`), the gas (400 `relay-gas-too-high`), the deadline (400 `relay-request-expired`),
 * the nonce and the signature (401 `relay-signature-invalid`), and that the call succeeds (422 `relay-reverted`,
 * with the decoded custom error). Then it submits `execute` through the send queue and waits for the receipt.
 *
 * @example
 * const { txHash, blockNumber } = await relayRequest(context, request.body, { actions: ['list'], deviceId: id })
 */
export async function relayRequest(
  context: RelayContext,
  body: RelayBody,
  expect: RelayExpectation = {},
): Promise<RelayResult> {
  const { request, signature } = parseInput(relayBodySchema, body);
  const call = checkRequest(context, request, expect);
  const from = getAddress(request.from);
  const forwardRequest: ForwardRequestData = {
    from,
    to: context.registry,
    value: 0n,
    gas: BigInt(request.gas),
    deadline: BigInt(request.deadline),
    data: request.data,
    signature,
  };
  const key = `${from}:${request.nonce}`;
  if (context.inFlight.has(key)) {
    throw new ApiError('This request is already being relayed.', {
      status: 409,
      code: 'relay-request-pending',
      details: { from, nonce: request.nonce },
    });
  }
  context.inFlight.add(key);
  try {
    await checkSigned(context, BigInt(request.nonce), forwardRequest);
    await simulate(context, call, forwardRequest);
    // The signer's budget, last before broadcast: only a request that would be sent and succeed spends it.
    // In the shared index: an index that does not answer is a 503 index-unavailable, and nothing is sent.
    const reservation = await context.budget?.reserve(from, forwardRequest.gas).catch((error: unknown) => {
      if (error instanceof ApiError && error.code === 'relay-budget-exceeded') context.spend.overBudget++;
      throw error;
    });
    const sent = await context.queue
      .run(async () => {
        // Under the send lock: a request another instance sent meanwhile (the same signed nonce) is not sent again.
        await checkNotSent(context, from, BigInt(request.nonce));
        return context.forwarder.execute(forwardRequest);
      })
      .catch(async (error: unknown) => {
        await reservation?.release();
        if (error instanceof StoreError || error instanceof ApiError) throw error;
        throw relayCallError(error, `The relayed ${call.action}`);
      });
    // Broadcast: from here the reservation stands until the receipt says what was used.
    const receipt = await sent.wait(context.confirmations).catch(async (error: unknown) => {
      await reservation?.settle(forwardRequest.gas);
      throw relayCallError(error, `The relayed ${call.action} (transaction ${sent.hash})`);
    });
    if (receipt === null) {
      await reservation?.settle(forwardRequest.gas);
      throw chainUnavailable(new Error(`no receipt for ${sent.hash}`));
    }
    await reservation?.settle(receipt.gasUsed);
    context.spend.relayed++;
    context.spend.gasUsed += receipt.gasUsed;
    context.spend.weiSpent += receipt.gasUsed * (receipt.gasPrice ?? 0n);
    return {
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      action: call.action,
      ...(call.deviceId === undefined ? {} : { deviceId: formatDeviceId(call.deviceId) }),
      from,
    };
  } finally {
    context.inFlight.delete(key);
  }
}

/**
 * The signer's forwarder nonce in the pending state is still the signed one: no instance broadcast this request yet
 * (the in-flight set only knows this process's requests), else 409 `relay-request-pending`.
 */
async function checkNotSent(context: RelayContext, from: string, signedNonce: bigint): Promise<void> {
  const pending = await context.forwarder.nonces(from, { blockTag: 'pending' }).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  if (pending !== signedNonce) {
    throw new ApiError('This request was relayed already (by another instance).', {
      status: 409,
      code: 'relay-request-pending',
      details: { from, nonce: signedNonce.toString(), pendingNonce: pending.toString() },
    });
  }
}

/** The checks that need no chain: target, value, action, the route's expectation, gas. */
function checkRequest(
  context: RelayContext,
  request: ForwardRequestMessage,
  expect: RelayExpectation,
): DecodedRelayCall {
  if (getAddress(request.to) !== context.registry) {
    throw new ApiError(`The relay only calls the TwinRegistry (${context.registry}), not ${request.to}.`, {
      status: 400,
      code: 'relay-target-not-allowed',
      details: { to: request.to, allowed: [context.registry] },
    });
  }
  if (request.value !== '0') {
    throw new ApiError('A relayed request cannot send ether: its value must be 0.', {
      status: 400,
      code: 'relay-value-not-allowed',
      details: { value: request.value },
    });
  }
  const call = decodeRelayCall(request.data);
  checkExpectation(call, expect);
  if (BigInt(request.gas) > context.maxGas) {
    throw new ApiError(`The request asks for ${request.gas} gas, more than the relay's limit of ${context.maxGas}.`, {
      status: 400,
      code: 'relay-gas-too-high',
      details: { gas: request.gas, maxGas: context.maxGas.toString() },
    });
  }
  return call;
}

/** The deadline against the latest block, the nonce against the forwarder's, and the signature by `verify`. */
async function checkSigned(context: RelayContext, signedNonce: bigint, request: ForwardRequestData): Promise<void> {
  const [block, nonce] = await Promise.all([
    context.provider.getBlock('latest'),
    context.forwarder.nonces(request.from),
  ]).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  if (block === null) throw chainUnavailable(new Error('the node has no latest block'));
  if (request.deadline <= BigInt(block.timestamp)) {
    throw new ApiError(`The request expired at ${request.deadline}; the chain is at ${block.timestamp}.`, {
      status: 400,
      code: 'relay-request-expired',
      details: { deadline: request.deadline.toString(), now: String(block.timestamp) },
    });
  }
  if (signedNonce !== nonce) {
    throw signatureInvalid(`The request's nonce ${signedNonce} is not ${request.from}'s current nonce ${nonce}.`, {
      reason: 'stale-nonce',
      nonce: signedNonce.toString(),
      expected: nonce.toString(),
    });
  }
  const valid = await context.forwarder.verify(request).catch((error: unknown) => {
    throw chainUnavailable(error);
  });
  if (!valid) {
    throw signatureInvalid(`The signature is not ${request.from}'s signature of this request.`, { reason: 'signer' });
  }
}

/**
 * Dry runs: the registry call as the signer (its revert decoded by name), then `execute` as the relayer (which
 * fails with `FailedCall` when the signed gas is too low).
 */
async function simulate(context: RelayContext, call: DecodedRelayCall, request: ForwardRequestData): Promise<void> {
  await context.provider.call({ from: request.from, to: request.to, data: request.data }).catch((error: unknown) => {
    throw relayCallError(error, `${call.action} by ${request.from}`);
  });
  await context.forwarder.execute.staticCall(request).catch((error: unknown) => {
    const failure = relayCallError(error, `The relayed ${call.action}`);
    if ((failure.body.error.details as { error?: unknown } | undefined)?.error !== 'FailedCall') throw failure;
    throw new ApiError(`The relayed ${call.action} runs out of its ${request.gas} gas: sign a request with more gas.`, {
      status: 422,
      code: 'relay-reverted',
      details: { error: 'FailedCall', args: [], gas: request.gas.toString() },
      cause: error,
    });
  });
}

function checkExpectation(call: DecodedRelayCall, expect: RelayExpectation): void {
  const mismatches: string[] = [];
  if (expect.actions !== undefined && !expect.actions.includes(call.action)) {
    mismatches.push(`the action is ${call.action}, not ${expect.actions.join(' or ')}`);
  }
  if (expect.deviceId !== undefined) {
    const expected = parseDeviceIdInput(expect.deviceId, 'deviceId', 'params');
    if (call.deviceId !== expected) {
      const signed = call.deviceId === undefined ? 'no twin' : `twin ${formatDeviceId(call.deviceId)}`;
      mismatches.push(`it acts on ${signed}, not twin ${formatDeviceId(expected)}`);
    }
  }
  if (mismatches.length === 0) return;
  throw new ApiError(`The signed request does not match this route: ${mismatches.join('; ')}.`, {
    status: 400,
    code: 'relay-request-mismatch',
    details: {
      expected: { actions: expect.actions, deviceId: expect.deviceId },
      signed: {
        action: call.action,
        ...(call.deviceId === undefined ? {} : { deviceId: formatDeviceId(call.deviceId) }),
      },
    },
  });
}

function signatureInvalid(message: string, details: Record<string, string>): ApiError {
  return new ApiError(message, { status: 401, code: 'relay-signature-invalid', details });
}
