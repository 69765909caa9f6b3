import { brokerLogin } from '../helpers/brokerLogin';
import { expect } from 'chai';
import { Contract, type Wallet } from 'ethers';
import { FORWARD_REQUEST_TYPES } from '../../api/src/relay/forwardRequest';
import { connect } from 'mqtt';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { CAST } from '../oracle/chain/deployOnNode';
import { signInSession } from '../helpers/siweSession';
import { eventually, nextEvent, startApiHarness, type ApiHarness } from './apiHarness';

describe('API: sign-in, device commands and relayed chain writes (real server, oracle, chain, broker)', function () {
  this.timeout(120_000);
  let h: ApiHarness;

  before(async function () {
    h = await startApiHarness('api-write', 2);
  });

  after(async function () {
    await h?.stop();
  });

  /** Signs in `wallet` through the API (nonce, EIP-4361 message, signature) and returns the token. */
  async function signIn(wallet: Wallet, signer: Wallet = wallet): Promise<{ status: number; body: any }> {
    const nonce = await h.request('/auth/nonce', { method: 'POST' });
    expect(nonce.status).to.equal(200);
    const built = await h.request('/auth/message', {
      method: 'POST',
      body: JSON.stringify({ address: wallet.address, nonce: nonce.body.nonce }),
    });
    expect(built.status).to.equal(200);
    const signature = await signer.signMessage(built.body.message);
    return h.request('/auth/sign-in', {
      method: 'POST',
      body: JSON.stringify({ message: built.body.message, signature }),
    });
  }

  const command = (deviceId: string, token: string | undefined, body: unknown = { command: 'collect-snapshot' }) =>
    h.request(`/twins/${deviceId}/command`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });

  /** Prepares, signs and relays `action` for `wallet` through `path` (default `POST /relay`). */
  async function relay(
    wallet: Wallet,
    action: string,
    deviceId: string,
    args: object,
    path = '/relay',
    method = 'POST',
  ) {
    const prepared = await h.request('/relay/prepare', {
      method: 'POST',
      body: JSON.stringify({ from: wallet.address, action, deviceId, args }),
    });
    expect(prepared.status, JSON.stringify(prepared.body)).to.equal(200);
    const { domain, types, message } = prepared.body;
    const signature = await wallet.signTypedData(domain, types, message);
    return h.request(path, { method, body: JSON.stringify({ request: message, signature }) });
  }

  describe('sign-in (EIP-4361)', function () {
    it('gives an approved owner a short-lived token bound to its address and role', async function () {
      const alice = h.wallet(CAST.alice);
      const { status, body } = await signIn(alice);
      expect(status).to.equal(200);
      expect(body).to.include({ address: alice.address, role: 'owner' });
      const session = await h.request('/auth/session', { headers: { authorization: `Bearer ${body.token}` } });
      expect(session.status).to.equal(200);
      expect(session.body.address).to.equal(alice.address);
    });

    it('refuses a forged signature with 401 and an unregistered account with 403', async function () {
      const forged = await signIn(h.wallet(CAST.alice), h.wallet(CAST.bob));
      expect(forged.status).to.equal(401);
      expect(forged.body.error.code).to.equal('siwe-signature-invalid');
      const stranger = await signIn(h.wallet(9));
      expect(stranger.status).to.equal(403);
      expect(stranger.body.error.code).to.equal('entity-not-registered');
    });
  });

  describe('POST /twins/:deviceId/command', function () {
    it("publishes the owner's command to the device's command topic", async function () {
      const token = (await signIn(h.wallet(CAST.alice))).body.token;
      // The device itself: only it may read its command topic.
      const device = h.harness.devices[0]!;
      const listener = connect(
        h.services.mqttUrl,
        brokerLogin(h.harness.deploymentFile, { kind: 'device', id: h.aliceTwin }, device.privateKey),
      );
      const received = new Promise<string>((resolve) =>
        listener.on('message', (_topic, payload) => resolve(payload.toString())),
      );
      await listener.subscribeAsync(deviceTopic(h.aliceTwin as Hex, 'command'), { qos: 1 });
      try {
        const { status, body } = await command(h.aliceTwin, token, { command: 'set-intervals', snapshotSeconds: 60 });
        expect(status, JSON.stringify(body)).to.equal(202);
        expect(body.topic).to.equal(`twins/${h.aliceTwin}/command`);
        expect(body.issuedBy).to.deep.equal({ address: h.wallet(CAST.alice).address, role: 'owner' });
        const published = JSON.parse(await received);
        expect(published).to.deep.equal({ command: 'set-intervals', snapshotSeconds: 60, requestId: body.requestId });
      } finally {
        await listener.endAsync();
      }
    });

    it('lets a security entity command any twin', async function () {
      const token = (await signIn(h.wallet(CAST.security))).body.token;
      const { status } = await command(h.manufacturerTwins[0]!, token, { command: 'ping' });
      expect(status).to.equal(202);
    });

    it('refuses 401 without a token or with a bad one, 403 for an owner of another twin', async function () {
      const missing = await command(h.aliceTwin, undefined);
      expect(missing.status).to.equal(401);
      expect(missing.body.error.code).to.equal('token-missing');
      const bad = await command(h.aliceTwin, 'not.a.token');
      expect(bad.status).to.equal(401);
      expect(bad.body.error.code).to.equal('token-invalid');
      const bob = (await signIn(h.wallet(CAST.bob))).body.token;
      const notOwner = await command(h.aliceTwin, bob);
      expect(notOwner.status).to.equal(403);
      expect(notOwner.body.error.code).to.equal('not-twin-owner');
    });

    it('answers 400 naming the field of a bad command', async function () {
      const token = (await signIn(h.wallet(CAST.alice))).body.token;
      const { status, body } = await command(h.aliceTwin, token, { command: 'set-intervals', snapshotSeconds: 1 });
      expect(status).to.equal(400);
      expect(body.error.code).to.equal('invalid-input');
      expect(body.error.message).to.include('snapshotSeconds');
      const unknown = await command(h.aliceTwin, token, { command: 'reboot' });
      expect(unknown.status).to.equal(400);
    });
  });

  describe('relayed chain writes (EIP-712 through the forwarder)', function () {
    it("a security entity suspends a twin: the state, its history, the owner's notification and an SSE event", async function () {
      const security = h.wallet(CAST.security);
      const stateEvent = nextEvent(`${h.api}/events?deviceId=${h.aliceTwin}&types=state`, 'state', () => true, 30_000);
      const relayed = await relay(
        security,
        'setState',
        h.aliceTwin,
        { state: 'suspended', reason: 'bafkrei-evidence' },
        `/twins/${h.aliceTwin}/state`,
        'PUT',
      );
      expect(relayed.status, JSON.stringify(relayed.body)).to.equal(200);
      expect(relayed.body).to.include({ action: 'setState', from: security.address });
      expect(relayed.body.txHash).to.match(/^0x[0-9a-f]{64}$/);

      const { data } = await stateEvent;
      expect(data).to.include({ deviceId: h.aliceTwin, previous: 'active', new: 'suspended', by: security.address });
      const twin = await eventually(
        () => h.request(`/twins/${h.aliceTwin}`),
        (answer) => answer.body.twin.state === 'suspended',
        20_000,
        'the suspended state in the API',
      );
      expect(twin.body.stateHistory.at(-1)).to.include({
        new: 'suspended',
        reason: 'bafkrei-evidence',
        by: security.address,
      });
      // Notifications are private (issue 14): Alice reads her own.
      const { headers } = await signInSession(h.api, h.wallet(CAST.alice));
      const notifications = await h.request(`/owners/${h.wallet(CAST.alice).address}/notifications`, { headers });
      expect(notifications.status).to.equal(200);
      expect(notifications.body.items[0]).to.include({ kind: 'state-changed', deviceId: h.aliceTwin });
    });

    it('refuses a setState signed for another twin on PUT /twins/:deviceId/state (400)', async function () {
      const { status, body } = await relay(
        h.wallet(CAST.security),
        'setState',
        h.manufacturerTwins[0]!,
        { state: 'unknown', reason: 'x' },
        `/twins/${h.aliceTwin}/state`,
        'PUT',
      );
      expect(status).to.equal(400);
      expect(body.error.code).to.equal('relay-request-mismatch');
    });

    it('refuses a request whose signature is not the sender’s (401) and reports a revert by name (422)', async function () {
      const alice = h.wallet(CAST.alice);
      const prepared = await h.request('/relay/prepare', {
        method: 'POST',
        body: JSON.stringify({
          from: alice.address,
          action: 'recordUpdate',
          deviceId: h.aliceTwin,
          args: { component: 'firmware', version: '1.0.1' },
        }),
      });
      const { domain, types, message } = prepared.body;
      const forged = await h.wallet(CAST.bob).signTypedData(domain, types, message);
      const refused = await h.request('/relay', {
        method: 'POST',
        body: JSON.stringify({ request: message, signature: forged }),
      });
      expect(refused.status).to.equal(401);
      expect(refused.body.error.code).to.equal('relay-signature-invalid');

      // Bob does not own the twin: preparing says why at once (the gas estimate reverts)…
      const early = await h.request('/relay/prepare', {
        method: 'POST',
        body: JSON.stringify({
          from: h.wallet(CAST.bob).address,
          action: 'requestReview',
          deviceId: h.aliceTwin,
          args: { note: 'not mine' },
        }),
      });
      expect(early.status).to.equal(422);
      expect(JSON.stringify(early.body.error.details)).to.include('TwinRegistryNotTwinOwner');
      // …and a request signed without preparing is dry-run before anything is sent.
      const bob = h.wallet(CAST.bob);
      const forwarder = h.harness.registry.deployment.contracts.TwinForwarder;
      const nonces = new Contract(
        forwarder,
        ['function nonces(address) view returns (uint256)'],
        h.harness.node.provider,
      );
      const request = {
        from: bob.address,
        to: h.harness.registry.deployment.contracts.TwinRegistry,
        value: '0',
        gas: '200000',
        nonce: String(await nonces.getFunction('nonces')(bob.address)),
        deadline: String(Math.floor(Date.now() / 1000) + 600),
        data: h.harness.registry.twins.interface.encodeFunctionData('requestReview', [h.aliceTwin, 'not mine']),
      };
      const signed = await bob.signTypedData(domain, FORWARD_REQUEST_TYPES, request);
      const reverted = await h.request('/relay', {
        method: 'POST',
        body: JSON.stringify({ request, signature: signed }),
      });
      expect(reverted.status).to.equal(422);
      expect(reverted.body.error.code).to.equal('relay-reverted');
      expect(JSON.stringify(reverted.body.error.details)).to.include('TwinRegistryNotTwinOwner');
    });

    it('the owner records an update and requests a review through the relay; both show in the API', async function () {
      const alice = h.wallet(CAST.alice);
      const update = await relay(alice, 'recordUpdate', h.aliceTwin, { component: 'openssl', version: '3.0.15' });
      expect(update.status, JSON.stringify(update.body)).to.equal(200);
      const relayed = await relay(alice, 'requestReview', h.aliceTwin, { note: 'patched openssl' });
      expect(relayed.status, JSON.stringify(relayed.body)).to.equal(200);
      await eventually(
        () => h.request(`/twins/${h.aliceTwin}`),
        (answer) => answer.body.twin.reviewRequested === true && answer.body.updates.length === 1,
        20_000,
        'the update and the review request in the API',
      );
      const { headers } = await signInSession(h.api, alice);
      const notifications = await h.request(`/owners/${alice.address}/notifications`, { headers });
      expect(notifications.body.items[0]).to.include({ kind: 'review-requested', deviceId: h.aliceTwin });
    });
  });
});
