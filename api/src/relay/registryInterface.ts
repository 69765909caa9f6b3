import { Interface } from 'ethers';
import { EntityRegistry__factory, TwinForwarder__factory, TwinRegistry__factory } from '../../../typechain-types';

/** The TwinRegistry ABI: encodes and decodes the relayed calls. */
export const twinRegistryInterface = new Interface(TwinRegistry__factory.abi);

/**
 * Every custom error a relayed call can meet, by selector: the TwinRegistry's (with ERC-721's and the reentrancy
 * guard's), the EntityRegistry's, the forwarder's, and Solidity's `Error(string)` and `Panic(uint256)`.
 */
export const relayErrorsInterface = new Interface(
  [
    ...twinRegistryInterface.fragments,
    ...new Interface(EntityRegistry__factory.abi).fragments,
    ...new Interface(TwinForwarder__factory.abi).fragments,
  ]
    .filter((fragment) => fragment.type === 'error')
    .map((fragment) => fragment.format('full'))
    .filter((signature, index, all) => all.indexOf(signature) === index)
    .concat(['error Error(string message)', 'error Panic(uint256 code)']),
);
