import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { registryFixture, Role } from '../fixtures';

const BRAND = 'Acme Boards';
const brandHash = (brand: string) => ethers.keccak256(ethers.toUtf8Bytes(brand));

/** {@link registryFixture} with a second manufacturer registered (pending) and a third approved: no brands yet. */
async function brandsFixture() {
  const fixture = await registryFixture();
  const { entities, stranger, relayer } = fixture;
  await entities.connect(stranger).register(Role.Manufacturer, 'Acme', ethers.ZeroHash, '');
  await entities.connect(relayer).register(Role.Manufacturer, 'Rival', ethers.ZeroHash, '');
  await entities.approve(relayer.address);
  return { ...fixture, acme: stranger, rival: relayer };
}

describe('EntityRegistry: brands (the manufacturer names devices are minted under)', function () {
  describe('registerBrand', function () {
    describe('when a pending or approved manufacturer asks for a free brand', function () {
      it('records the request and emits BrandRegistered; nobody holds the brand yet', async function () {
        const { entities, acme, rival } = await loadFixture(brandsFixture);
        for (const account of [acme, rival]) {
          await expect(entities.connect(account).registerBrand(BRAND))
            .to.emit(entities, 'BrandRegistered')
            .withArgs(account.address, brandHash(BRAND), BRAND);
          expect(await entities.brandRegistered(account.address, BRAND)).to.equal(true);
        }
        expect(await entities.brandHolder(BRAND)).to.deep.equal([ethers.ZeroAddress, false]);
      });

      it('lets one manufacturer hold several brands (a maker of Raspberry-Pi-based and other boards)', async function () {
        const { entities, manufacturer } = await loadFixture(registryFixture);
        const brands = ['Raspberry Pi Ltd', 'Société Capteurs Agricoles', 'NVIDIA'];
        await entities.connect(manufacturer).registerBrand(brands[2]!);
        await entities.approveBrand(manufacturer.address, brands[2]!);
        for (const brand of brands)
          expect(await entities.brandHolder(brand)).to.deep.equal([manufacturer.address, true]);
      });
    });

    describe('when the request is refused', function () {
      it('reverts with EntityRegistryNotManufacturer for an owner, a security entity and a stranger', async function () {
        const { entities, owner, security, stranger: nobody } = await loadFixture(registryFixture);
        for (const [account, role] of [
          [owner, Role.Owner],
          [security, Role.SecurityEntity],
          [nobody, Role.None],
        ] as const) {
          await expect(entities.connect(account).registerBrand(BRAND))
            .to.be.revertedWithCustomError(entities, 'EntityRegistryNotManufacturer')
            .withArgs(account.address, role);
        }
      });

      it('reverts with EntityRegistryEntityRevoked for a revoked manufacturer', async function () {
        const { entities, rival } = await loadFixture(brandsFixture);
        await entities.revoke(rival.address, 'fraud');
        await expect(entities.connect(rival).registerBrand(BRAND))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryEntityRevoked')
          .withArgs(rival.address);
      });

      it('reverts with EntityRegistryInvalidBrand for an empty or too long brand', async function () {
        const { entities, acme } = await loadFixture(brandsFixture);
        for (const brand of ['', 'b'.repeat(257)]) {
          await expect(entities.connect(acme).registerBrand(brand))
            .to.be.revertedWithCustomError(entities, 'EntityRegistryInvalidBrand')
            .withArgs(brand.length);
        }
        await expect(entities.connect(acme).registerBrand('b'.repeat(256))).to.emit(entities, 'BrandRegistered');
      });

      it('reverts with EntityRegistryBrandAlreadyRegistered for a second request, pending or held', async function () {
        const { entities, acme, manufacturer } = await loadFixture(brandsFixture);
        await entities.connect(acme).registerBrand(BRAND);
        await expect(entities.connect(acme).registerBrand(BRAND))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryBrandAlreadyRegistered')
          .withArgs(acme.address, BRAND);
        await expect(entities.connect(manufacturer).registerBrand('Raspberry Pi Ltd'))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryBrandAlreadyRegistered')
          .withArgs(manufacturer.address, 'Raspberry Pi Ltd');
      });

      it('reverts with EntityRegistryBrandTaken for a brand another manufacturer holds', async function () {
        const { entities, acme, manufacturer } = await loadFixture(brandsFixture);
        await expect(entities.connect(acme).registerBrand('Raspberry Pi Ltd'))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryBrandTaken')
          .withArgs('Raspberry Pi Ltd', manufacturer.address);
      });
    });
  });

  describe('approveBrand', function () {
    describe('when the registrar approves a registered brand', function () {
      it('gives it to the manufacturer and emits BrandApproved; the brand is its alone', async function () {
        const { entities, admin, acme, rival } = await loadFixture(brandsFixture);
        await entities.connect(acme).registerBrand(BRAND);
        await entities.connect(rival).registerBrand(BRAND);
        await expect(entities.approveBrand(rival.address, BRAND))
          .to.emit(entities, 'BrandApproved')
          .withArgs(rival.address, brandHash(BRAND), BRAND, admin.address);
        expect(await entities.brandHolder(BRAND)).to.deep.equal([rival.address, true]);
        await expect(entities.approveBrand(acme.address, BRAND))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryBrandTaken')
          .withArgs(BRAND, rival.address);
      });

      it('reports a pending manufacturer as holder but not approved, until the entity is approved', async function () {
        const { entities, acme } = await loadFixture(brandsFixture);
        await entities.connect(acme).registerBrand(BRAND);
        await entities.approveBrand(acme.address, BRAND);
        expect(await entities.brandHolder(BRAND)).to.deep.equal([acme.address, false]);
        await entities.approve(acme.address);
        expect(await entities.brandHolder(BRAND)).to.deep.equal([acme.address, true]);
        await entities.revoke(acme.address, 'fraud');
        expect(await entities.brandHolder(BRAND)).to.deep.equal([acme.address, false]);
      });
    });

    describe('when the approval is refused', function () {
      it('reverts for a brand the account never registered, or already holds', async function () {
        const { entities, acme, manufacturer } = await loadFixture(brandsFixture);
        await expect(entities.approveBrand(acme.address, BRAND))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryBrandNotRegistered')
          .withArgs(acme.address, BRAND);
        await expect(entities.approveBrand(manufacturer.address, 'Raspberry Pi Ltd'))
          .to.be.revertedWithCustomError(entities, 'EntityRegistryBrandAlreadyApproved')
          .withArgs(manufacturer.address, 'Raspberry Pi Ltd');
      });

      it('reverts for a caller without the registrar role', async function () {
        const { entities, acme } = await loadFixture(brandsFixture);
        await entities.connect(acme).registerBrand(BRAND);
        await expect(entities.connect(acme).approveBrand(acme.address, BRAND))
          .to.be.revertedWithCustomError(entities, 'AccessControlUnauthorizedAccount')
          .withArgs(acme.address, await entities.REGISTRAR_ROLE());
      });
    });
  });

  describe('revokeBrand', function () {
    it('frees a held brand, emits BrandRevoked, and lets another manufacturer take it', async function () {
      const { entities, admin, manufacturer, rival } = await loadFixture(brandsFixture);
      const brand = 'Raspberry Pi Ltd';
      await expect(entities.revokeBrand(manufacturer.address, brand, 'trademark lost'))
        .to.emit(entities, 'BrandRevoked')
        .withArgs(manufacturer.address, brandHash(brand), brand, admin.address, 'trademark lost');
      expect(await entities.brandHolder(brand)).to.deep.equal([ethers.ZeroAddress, false]);
      expect(await entities.brandRegistered(manufacturer.address, brand)).to.equal(false);
      await entities.connect(rival).registerBrand(brand);
      await entities.approveBrand(rival.address, brand);
      expect(await entities.brandHolder(brand)).to.deep.equal([rival.address, true]);
    });

    it("ends a pending request without touching the holder's brand", async function () {
      const { entities, acme, rival } = await loadFixture(brandsFixture);
      await entities.connect(acme).registerBrand(BRAND);
      await entities.connect(rival).registerBrand(BRAND);
      await entities.approveBrand(rival.address, BRAND);
      await expect(entities.revokeBrand(acme.address, BRAND, 'not theirs')).to.emit(entities, 'BrandRevoked');
      expect(await entities.brandHolder(BRAND)).to.deep.equal([rival.address, true]);
      expect(await entities.brandRegistered(acme.address, BRAND)).to.equal(false);
    });

    it('reverts for a brand the account never registered, and for a caller without the registrar role', async function () {
      const { entities, acme, manufacturer } = await loadFixture(brandsFixture);
      await expect(entities.revokeBrand(acme.address, BRAND, ''))
        .to.be.revertedWithCustomError(entities, 'EntityRegistryBrandNotRegistered')
        .withArgs(acme.address, BRAND);
      await expect(entities.connect(acme).revokeBrand(manufacturer.address, 'Raspberry Pi Ltd', ''))
        .to.be.revertedWithCustomError(entities, 'AccessControlUnauthorizedAccount')
        .withArgs(acme.address, await entities.REGISTRAR_ROLE());
    });
  });
});
