import type { ContractTransactionResponse } from 'ethers';

/** A transaction was mined without a receipt, or reverted. */
export class GasBenchTransactionError extends Error {
  override name = 'GasBenchTransactionError';
}

/**
 * The gas a transaction used, from its receipt (after refunds): what its sender pays for.
 *
 * @example
 * const gas = await gasUsedBy(twins.connect(owner).buy(deviceId, { value: price }))
 */
export async function gasUsedBy(transaction: Promise<ContractTransactionResponse>): Promise<number> {
  const response = await transaction;
  const receipt = await response.wait();
  if (receipt === null || receipt.status !== 1) {
    throw new GasBenchTransactionError(`transaction ${response.hash} has no successful receipt`);
  }
  return Number(receipt.gasUsed);
}
