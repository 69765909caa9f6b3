import { task } from 'hardhat/config';
import { confirm, parseEther, resolveSigner, runTask, taskError } from './lib/cli';
import { loadRegistry } from './lib/registry';

task('deposit', "Adds ether to the --from account's balance in the registry, to buy with `buy --from-balance`")
  .addParam('amount', 'Amount in ether')
  .addOptionalParam('from', 'Account: index or address', '0')
  .setAction((args: { amount: string; from: string }, hre) =>
    runTask(async () => {
      const amount = parseEther(hre, 'amount', args.amount);
      if (amount === 0n) throw taskError('--amount must be above zero.');
      const { twins } = await loadRegistry(hre);
      const account = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(account).deposit({ value: amount }));
      const balance = await twins.proceedsOf(account.address);
      const total = hre.ethers.formatEther(balance);
      console.log(`Deposited ${args.amount} ETH for ${account.address}; balance ${total} ETH (tx ${tx.hash})`);
      return { amount, balance, ...tx };
    }),
  );
