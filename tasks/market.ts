import { task } from 'hardhat/config';
import { formatDeviceId } from '../twin-core/src/identity/deviceId';
import { confirm, parseEther, resolveSigner, runTask, taskError } from './lib/cli';
import { TWIN_STATE_NAMES } from './lib/names';
import { loadRegistry } from './lib/registry';
import { deviceParam } from './twins';

task('list', 'Lists a twin for sale, or changes its price (owner only)')
  .addParam('device', 'DeviceID')
  .addParam('price', 'Price in ether')
  .addOptionalParam('from', 'Owner account: index or address', '0')
  .setAction((args: { device: string; price: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const price = parseEther(hre, 'price', args.price);
      if (price === 0n) throw taskError('--price must be above zero.');
      const { twins } = await loadRegistry(hre);
      const owner = await resolveSigner(hre, args.from);
      // The owner listing again at the same price would only repeat the event: nothing is sent.
      const twin = await twins.twinOf(deviceId);
      if (twin.owner === owner.address && twin.forSale && twin.price === price) {
        console.log(
          `Twin ${formatDeviceId(deviceId)} is already listed at ${args.price} ETH: nothing changed (no transaction)`,
        );
        return { changed: false };
      }
      const tx = await confirm(twins.connect(owner).list(deviceId, price));
      console.log(`Twin ${formatDeviceId(deviceId)} listed at ${args.price} ETH (tx ${tx.hash})`);
      return { changed: true, ...tx };
    }),
  );

task('delist', 'Withdraws a twin from sale (owner only)')
  .addParam('device', 'DeviceID')
  .addOptionalParam('from', 'Owner account: index or address', '0')
  .setAction((args: { device: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const owner = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(owner).delist(deviceId));
      console.log(`Twin ${formatDeviceId(deviceId)} withdrawn from sale (tx ${tx.hash})`);
      return tx;
    }),
  );

task('buy', 'Buys a listed twin, paying its current price (approved owner only)')
  .addParam('device', 'DeviceID')
  .addOptionalParam('maxPrice', 'Refuse to pay more than this many ether (default: the listed price)')
  .addFlag('fromBalance', "Pay from the buyer's balance in the registry (see `deposit`) instead of sending ether")
  .addOptionalParam('from', 'Buyer account: index or address', '0')
  .setAction((args: { device: string; maxPrice?: string; fromBalance?: boolean; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const buyer = await resolveSigner(hre, args.from);
      const twin = await twins.twinOf(deviceId);
      if (twin.state !== 0n) {
        throw taskError(
          `Twin ${formatDeviceId(deviceId)} is ${
            TWIN_STATE_NAMES[Number(twin.state)]
          }: only an active twin can be bought.`,
        );
      }
      if (!twin.forSale) throw taskError(`Twin ${formatDeviceId(deviceId)} is not for sale.`);
      if (args.maxPrice !== undefined && twin.price > parseEther(hre, 'max-price', args.maxPrice)) {
        throw taskError(
          `Twin ${formatDeviceId(deviceId)} costs ${hre.ethers.formatEther(twin.price)} ETH, above --max-price ${
            args.maxPrice
          }.`,
        );
      }
      const price = hre.ethers.formatEther(twin.price);
      let tx: Awaited<ReturnType<typeof confirm>>;
      if (args.fromBalance) {
        const balance = await twins.proceedsOf(buyer.address);
        if (balance < twin.price) {
          const has = hre.ethers.formatEther(balance);
          throw taskError(`Balance of ${buyer.address} is ${has} ETH, below the price ${price} ETH: deposit first.`);
        }
        tx = await confirm(twins.connect(buyer).buyWithBalance(deviceId, twin.price));
      } else {
        tx = await confirm(twins.connect(buyer).buy(deviceId, { value: twin.price }));
      }
      const paid = args.fromBalance ? ' from its balance' : '';
      console.log(`Bought twin ${formatDeviceId(deviceId)} for ${price} ETH${paid} (tx ${tx.hash})`);
      return { price: twin.price, ...tx };
    }),
  );

task('withdraw', "Withdraws the --from account's balance: sale proceeds and unspent deposits")
  .addOptionalParam('from', 'Seller account: index or address', '0')
  .setAction((args: { from: string }, hre) =>
    runTask(async () => {
      const { twins } = await loadRegistry(hre);
      const seller = await resolveSigner(hre, args.from);
      const amount = await twins.proceedsOf(seller.address);
      const tx = await confirm(twins.connect(seller).withdraw());
      console.log(`Withdrew ${hre.ethers.formatEther(amount)} ETH to ${seller.address} (tx ${tx.hash})`);
      return { amount, ...tx };
    }),
  );
