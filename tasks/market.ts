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
      const tx = await confirm(twins.connect(owner).list(deviceId, price));
      console.log(`Twin ${formatDeviceId(deviceId)} listed at ${args.price} ETH (tx ${tx.hash})`);
      return tx;
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
  .addOptionalParam('from', 'Buyer account: index or address', '0')
  .setAction((args: { device: string; maxPrice?: string; from: string }, hre) =>
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
      const tx = await confirm(twins.connect(buyer).buy(deviceId, { value: twin.price }));
      console.log(
        `Bought twin ${formatDeviceId(deviceId)} for ${hre.ethers.formatEther(twin.price)} ETH (tx ${tx.hash})`,
      );
      return { price: twin.price, ...tx };
    }),
  );

task('withdraw', "Withdraws the --from account's sale proceeds")
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
