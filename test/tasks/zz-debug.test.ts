import hre from 'hardhat';
import { loadRegistry } from '../../tasks/lib/registry';
describe('dbg', function () {
  it('x', async function () {
    const a = await hre.run('deploy', {});
    const r1 = await loadRegistry(hre);
    console.log('A', a.contracts.EntityRegistry, await r1.entities.getAddress());
    const b = await hre.run('deploy', {});
    const r2 = await loadRegistry(hre);
    console.log('B', b.contracts.EntityRegistry, await r2.entities.getAddress());
  });
});
