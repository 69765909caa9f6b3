import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { ethers } from 'hardhat';
import type { TwinForwarder } from '../../typechain-types';

/** EIP-712 types of OpenZeppelin's ERC2771Forwarder request. */
export const FORWARD_REQUEST_TYPES = {
  ForwardRequest: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'gas', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint48' },
    { name: 'data', type: 'bytes' },
  ],
};

/**
 * A request `signer` signs for the forwarder to relay: call `to` with `data` as `signer`.
 * The relayer submits it with `forwarder.execute(request)` and pays the gas.
 */
export async function signForwardRequest(
  forwarder: TwinForwarder,
  signer: HardhatEthersSigner,
  to: string,
  data: string,
  options: { gas?: bigint; value?: bigint; deadline?: number } = {},
) {
  const { chainId } = await ethers.provider.getNetwork();
  const latest = await ethers.provider.getBlock('latest');
  const message = {
    from: signer.address,
    to,
    value: options.value ?? 0n,
    gas: options.gas ?? 500_000n,
    nonce: await forwarder.nonces(signer.address),
    deadline: options.deadline ?? latest!.timestamp + 3600,
    data,
  };
  const domain = { name: 'TwinForwarder', version: '1', chainId, verifyingContract: await forwarder.getAddress() };
  const signature = await signer.signTypedData(domain, FORWARD_REQUEST_TYPES, message);
  const { nonce: _nonce, ...request } = message;
  return { ...request, signature };
}
