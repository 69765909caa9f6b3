import { brokerLogin } from '../helpers/brokerLogin';
import { expect } from 'chai';
import { Contract, type Wallet } from 'ethers';
import { FORWARD_REQUEST_TYPES } from '../../api/src/relay/forwardRequest';
import { connect } from 'mqtt';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { CAST } from '../oracle/chain/deployOnNode';
import { signInSession, type TestSession } from '../helpers/siweSession';
import { generatePrivateKey } from '../../twin-core/src/signing/deviceKey';
import { signMessage } from '../../twin-core/src/signing/messageSignature';
import { eventually, nextEvent, RELAYER_ACCOUNT, startApiHarness, type ApiHarness } from './apiHarness';

describe('API: sign-in, device commands and relayed chain writes (real server, oracle, chain, broker)', function () {
  this.timeout(120_000);
  let h: ApiHarness;
  /** Alice's session: commands and the state document are device internals, read by the twin's owner. */
  let aliceSession: TestSession;

  before(async function () {
    h = await startApiHarness('api-write', 2);
    aliceSession = await signInSession(h.api, h.wallet(CAST.alice));
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

  /** Builds a command's typed data through the API and signs it with `wallet`: the body to POST. */
  async function signed(wallet: Wallet, deviceId: string, draft: object) {
    // A device's capabilities come with its first online status, which may reach the API after the first replies.
    const built = await eventually(
      () => h.request(`/twins/${deviceId}/commands/typed-data`, { method: 'POST', body: JSON.stringify(draft) }),
      (response) => !/declared no capabilities/.test(response.body?.error?.message ?? ''),
      20_000,
    );
    expect(built.status, JSON.stringify(built.body)).to.equal(200);
    const { domain, types, message } = built.body.typedData;
    const sig = await wallet.signTypedData(domain, types, message);
    return { body: { ...built.body.command, sig }, commandId: built.body.commandId as string };
  }
  const post = (deviceId: string, body: object) =>
    h.request(`/twins/${deviceId}/commands`, { method: 'POST', body: JSON.stringify(body) });
  const statusOf = (deviceId: string, commandId: string) =>
    eventually(
      () => h.request(`/twins/${deviceId}/commands/${commandId}`, { headers: aliceSession.headers }),
      (response) => ['succeeded', 'failed', 'expired'].includes(response.body.status),
      20_000,
    );

  describe('POST /twins/:deviceId/commands (owner-signed, with results)', function () {
    it("relays the owner's signed command; the simulated device acknowledges and answers; the history and SSE show it", async function () {
      const alice = h.wallet(CAST.alice);
      const { body, commandId } = await signed(alice, h.aliceTwin, {
        command: 'set-intervals',
        args: { snapshotSeconds: 60 },
      });
      const succeededEvent = nextEvent(
        `${h.api}/events?deviceId=${h.aliceTwin}&types=command&access_token=${aliceSession.token}`,
        'command',
        (data) => data.commandId === commandId && data.status === 'succeeded',
        30_000,
      );
      // A command's arguments and the device's result are device internals: an anonymous stream carries none.
      const publicEvent = nextEvent(
        `${h.api}/events?deviceId=${h.aliceTwin}&types=command`,
        'command',
        () => true,
        12_000,
      ).then(
        () => 'received',
        (error: Error) => error.message,
      );
      // The device learns its owner from the oracle's twin record first: retried until it answers.
      const sent = await post(h.aliceTwin, body);
      expect(sent.status, JSON.stringify(sent.body)).to.equal(202);
      expect(sent.body).to.include({ commandId, status: 'pending', signer: alice.address });
      const final = await statusOf(h.aliceTwin, commandId);
      expect(final.body.status, JSON.stringify(final.body)).to.equal('succeeded');
      expect(final.body.result.intervals.snapshotSeconds).to.equal(60);
      expect((await succeededEvent).data.result.intervals.snapshotSeconds).to.equal(60);
      const history = await h.request(`/twins/${h.aliceTwin}/commands`, { headers: aliceSession.headers });
      expect(history.body.items[0]).to.include({ commandId, status: 'succeeded' });
      expect(await publicEvent).to.match(/no command event within/);
    });

    it("drives a declared actuator: the device's fan turns on and its state comes back", async function () {
      const { body, commandId } = await signed(h.wallet(CAST.alice), h.aliceTwin, {
        command: 'fan',
        args: { action: 'turn_on', speed: 80 },
      });
      expect((await post(h.aliceTwin, body)).status).to.equal(202);
      const final = await statusOf(h.aliceTwin, commandId);
      expect(final.body.result).to.deep.equal({ actuator: 'fan', state: { on: true, level: 80 } });
    });

    it('refuses a non-owner (403), an expired command, a bad argument, an undeclared actuator (400) and a reused nonce (409)', async function () {
      const alice = h.wallet(CAST.alice);
      const bob = await signed(h.wallet(CAST.bob), h.aliceTwin, { command: 'ping' });
      const notOwner = await post(h.aliceTwin, bob.body);
      expect(notOwner.status).to.equal(403);
      expect(notOwner.body.error.code).to.equal('not-twin-owner');
      const expired = await signed(alice, h.aliceTwin, { command: 'ping', expiry: Math.floor(Date.now() / 1000) - 5 });
      const late = await post(h.aliceTwin, expired.body);
      expect(late.status).to.equal(400);
      expect(late.body.error.details.field).to.equal('expiry');
      const tooBright = await h.request(`/twins/${h.aliceTwin}/commands/typed-data`, {
        method: 'POST',
        body: JSON.stringify({ command: 'light', args: { action: 'turn_on', brightness: 150 } }),
      });
      expect(tooBright.status).to.equal(400);
      expect(tooBright.body.error.message).to.include('args.brightness');
      const heater = await h.request(`/twins/${h.aliceTwin}/commands/typed-data`, {
        method: 'POST',
        body: JSON.stringify({ command: 'heater', args: { action: 'turn_on' } }),
      });
      expect(heater.status).to.equal(400);
      expect(heater.body.error.code).to.equal('unsupported-command');
      const once = await signed(alice, h.aliceTwin, { command: 'ping' });
      expect((await post(h.aliceTwin, once.body)).status).to.equal(202);
      const again = await post(h.aliceTwin, once.body);
      expect(again.status).to.equal(409);
      expect(again.body.error.code).to.equal('command-replayed');
      const forged = await post(h.aliceTwin, { ...once.body, nonce: '12345' });
      expect(forged.status).to.equal(403);
    });

    it('marks a command the device acknowledges (delivered) but never answers as expired, and records the answer a device signs as failed', async function () {
      const alice = h.wallet(CAST.alice);
      const device = h.harness.devices[0]!;
      // An API instance's login publishes commands; the device's own key publishes on its reply topic (the ACL).
      const relayer = h.wallet(RELAYER_ACCOUNT);
      const listener = connect(
        h.services.mqttUrl,
        brokerLogin(h.harness.deploymentFile, { kind: 'api', id: relayer.address as Hex }, relayer.privateKey),
      );
      const deviceClient = connect(
        h.services.mqttUrl,
        brokerLogin(h.harness.deploymentFile, { kind: 'device', id: h.aliceTwin as Hex }, device.privateKey),
      );
      await new Promise((resolve) => listener.once('connect', resolve));
      await new Promise((resolve) => deviceClient.once('connect', resolve));
      // Each command reaches the device first straight from the broker: the one the API relays is a replay it ignores.
      const silent = await signed(alice, h.aliceTwin, { command: 'ping', expiry: Math.floor(Date.now() / 1000) + 4 });
      const answered = await signed(alice, h.aliceTwin, { command: 'ping' });
      const unknown = () => h.services.api.context.devices.stats().refused['unknown-command'] ?? 0;
      const unknownBefore = unknown();
      for (const { body } of [silent, answered])
        await listener.publishAsync(
          deviceTopic(h.aliceTwin as Hex, 'command'),
          JSON.stringify({ v: 1, kind: 'command', deviceId: h.aliceTwin, ...body }),
          { qos: 1 },
        );
      // The device's own answers to those are refused by the API (no such command yet): wait until it has judged
      // them (its follower works through the index, asynchronously), so none is applied to the relayed commands.
      // (the device may acknowledge and answer each: until at least two are judged and no more come for 500 ms).
      for (let last = -1, since = Date.now(), deadline = Date.now() + 8_000; Date.now() < deadline; ) {
        const now = unknown();
        if (now !== last) [last, since] = [now, Date.now()];
        else if (now >= unknownBefore + 2 && Date.now() - since >= 500) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await post(h.aliceTwin, silent.body)).status).to.equal(202);
      expect((await post(h.aliceTwin, answered.body)).status).to.equal(202);
      // The silent one is acknowledged, never answered: delivered, then expired.
      const acknowledged = signMessage(
        {
          v: 1,
          kind: 'reply',
          deviceId: h.aliceTwin,
          seq: 1,
          ts: new Date().toISOString(),
          body: { commandId: silent.commandId, status: 'delivered' },
        },
        device.privateKey,
      );
      await deviceClient.publishAsync(deviceTopic(h.aliceTwin as Hex, 'reply'), JSON.stringify(acknowledged), {
        qos: 1,
      });
      const delivered = await eventually(
        () => h.request(`/twins/${h.aliceTwin}/commands/${silent.commandId}`, { headers: aliceSession.headers }),
        (response) => response.body.status !== 'pending',
        10_000,
      );
      expect(delivered.body.status).to.equal('delivered');
      const reply = signMessage(
        {
          v: 1,
          kind: 'reply',
          deviceId: h.aliceTwin,
          seq: 2,
          ts: new Date().toISOString(),
          body: { commandId: answered.commandId, status: 'failed', error: { code: 'busy', message: 'try later' } },
        },
        device.privateKey,
      );
      // The same answer signed by another key is ignored.
      const forged = signMessage(
        { ...reply, body: { ...reply.body, error: { code: 'x', message: 'forged' } } },
        generatePrivateKey(),
      );
      await deviceClient.publishAsync(deviceTopic(h.aliceTwin as Hex, 'reply'), JSON.stringify(forged), { qos: 1 });
      await deviceClient.publishAsync(deviceTopic(h.aliceTwin as Hex, 'reply'), JSON.stringify(reply), { qos: 1 });
      const failed = await statusOf(h.aliceTwin, answered.commandId);
      expect(failed.body).to.deep.include({ status: 'failed', error: { code: 'busy', message: 'try later' } });
      const expired = await statusOf(h.aliceTwin, silent.commandId);
      expect(expired.body.status).to.equal('expired');
      expect(h.services.api.context.devices.stats().refused['wrong-signer']).to.be.at.least(1);
      await listener.endAsync();
      await deviceClient.endAsync();
    });
  });

  describe('the state document: GET/PUT/PATCH /twins/:deviceId/state', function () {
    const write = (method: string, version: string | undefined, body: object) =>
      h.request(`/twins/${h.aliceTwin}/state`, {
        method,
        body: JSON.stringify(body),
        headers: version === undefined ? {} : { 'if-match': `"${version}"` },
      });

    it("reports what the device's signed status says, at version 0 with nothing desired", async function () {
      const { status, body, headers } = await h.request(`/twins/${h.aliceTwin}/state`, {
        headers: aliceSession.headers,
      });
      expect(status).to.equal(200);
      expect(headers.get('etag')).to.equal('"0"');
      expect(body).to.deep.include({ version: 0, desired: {}, delta: {} });
      expect(body.reported.actuators.fan).to.have.property('on');
      expect(body.reported.intervals.telemetrySeconds).to.be.a('number');
      // What the device declares, for a client to build its controls from (the dashboard's command panel).
      expect(body.capabilities.commands).to.include.members(['set-intervals', 'apply-state']);
      expect(body.capabilities.actuators.map((actuator: { name: string }) => actuator.name)).to.include.members([
        'fan',
        'light',
      ]);
    });

    it('a signed PUT with If-Match sets the desired state; the simulated device applies it and the delta closes', async function () {
      const desired = {
        intervals: { telemetrySeconds: 1 },
        actuators: { fan: { on: true, level: 60 }, light: { on: false } },
      };
      const { body } = await signed(h.wallet(CAST.alice), h.aliceTwin, {
        command: 'apply-state',
        args: { desired, version: 1 },
      });
      const converged = nextEvent(
        `${h.api}/events?deviceId=${h.aliceTwin}&types=state-document&access_token=${aliceSession.token}`,
        'state-document',
        (data) => data.version === 1 && Object.keys(data.delta).length === 0,
        30_000,
      );
      const put = await write('PUT', '0', body);
      expect(put.status, JSON.stringify(put.body)).to.equal(200);
      expect(put.headers.get('etag')).to.equal('"1"');
      expect(put.body).to.deep.include({ version: 1, desired });
      expect(put.body.desiredTimes['actuators.fan']).to.be.a('string');
      const closed = await eventually(
        () => h.request(`/twins/${h.aliceTwin}/state`, { headers: aliceSession.headers }),
        (response) => Object.keys(response.body.delta).length === 0,
        20_000,
      );
      expect(closed.body.reported.actuators.fan).to.deep.equal({ on: true, level: 60 });
      expect(closed.body.reported.intervals.telemetrySeconds).to.equal(1);
      expect((await statusOf(h.aliceTwin, put.body.commandId)).body.status).to.equal('succeeded');
      // Every change is an event: the last one says the device agrees.
      expect((await converged).data.reported.actuators.fan).to.deep.equal({ on: true, level: 60 });
    });

    it('refuses a stale If-Match (412), none (428), a non-owner (403) and a field the device does not declare (400)', async function () {
      const alice = h.wallet(CAST.alice);
      const stale = await signed(alice, h.aliceTwin, { command: 'apply-state', args: { desired: {}, version: 1 } });
      const conflict = await write('PUT', '0', stale.body);
      expect(conflict.status).to.equal(412);
      expect(conflict.body.error.code).to.equal('version-conflict');
      const fresh = await signed(alice, h.aliceTwin, { command: 'apply-state', args: { desired: {}, version: 2 } });
      expect((await write('PUT', undefined, fresh.body)).status).to.equal(428);
      const bob = await signed(h.wallet(CAST.bob), h.aliceTwin, {
        command: 'apply-state',
        args: { desired: {}, version: 2 },
      });
      expect((await write('PUT', '1', bob.body)).status).to.equal(403);
      const heater = await h.request(`/twins/${h.aliceTwin}/commands/typed-data`, {
        method: 'POST',
        body: JSON.stringify({
          command: 'apply-state',
          args: { desired: { actuators: { heater: { on: true } } }, version: 2 },
        }),
      });
      expect(heater.status).to.equal(400);
      expect(heater.body.error.message).to.include('desired.actuators.heater');
      expect((await h.request(`/twins/${h.aliceTwin}/state`, { headers: aliceSession.headers })).body.version).to.equal(
        1,
      );
    });

    it('a signed PATCH merges into the desired state', async function () {
      const { body } = await signed(h.wallet(CAST.alice), h.aliceTwin, {
        command: 'apply-state',
        args: { desired: { intervals: { snapshotSeconds: 30 } }, version: 2 },
      });
      const patched = await write('PATCH', '1', body);
      expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
      expect(patched.body.desired).to.deep.equal({
        intervals: { telemetrySeconds: 1, snapshotSeconds: 30 },
        actuators: { fan: { on: true, level: 60 }, light: { on: false } },
      });
      await eventually(
        () => h.request(`/twins/${h.aliceTwin}/state`, { headers: aliceSession.headers }),
        (response) => Object.keys(response.body.delta).length === 0,
        20_000,
      );
    });

    it("switches a simulated device's snapshot probes off through the document; sensor sampling it does not declare is refused by name", async function () {
      const alice = h.wallet(CAST.alice);
      const before = await h.request(`/twins/${h.aliceTwin}/state`, { headers: aliceSession.headers });
      expect(before.body.capabilities.probes).to.include.members(['usb', 'processes']);
      expect(before.body.capabilities.sensorSampling).to.equal(undefined);
      expect(before.body.reported.probes.usb).to.equal(true);
      const sampling = await h.request(`/twins/${h.aliceTwin}/commands/typed-data`, {
        method: 'POST',
        body: JSON.stringify({
          command: 'apply-state',
          args: { desired: { intervals: { sensorSeconds: 60 } }, version: 3 },
        }),
      });
      expect(sampling.status).to.equal(400);
      expect(sampling.body.error.message).to.include('desired.intervals.sensorSeconds');
      const { body } = await signed(alice, h.aliceTwin, {
        command: 'apply-state',
        args: { desired: { probes: { usb: false } }, version: 3 },
      });
      const patched = await write('PATCH', '2', body);
      expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
      expect(patched.body.desired.probes).to.deep.equal({ usb: false });
      expect(patched.body.delta).to.deep.equal({ probes: { usb: false } });
      const closed = await eventually(
        () => h.request(`/twins/${h.aliceTwin}/state`, { headers: aliceSession.headers }),
        (response) => Object.keys(response.body.delta).length === 0,
        20_000,
      );
      expect(closed.body.reported.probes).to.deep.include({ usb: false, processes: true });
      expect(closed.body.reportedTimes['probes.usb']).to.be.a('string');
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
        `/twins/${h.aliceTwin}/lifecycle`,
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

    it('refuses a setState signed for another twin on PUT /twins/:deviceId/lifecycle (400)', async function () {
      const { status, body } = await relay(
        h.wallet(CAST.security),
        'setState',
        h.manufacturerTwins[0]!,
        { state: 'unknown', reason: 'x' },
        `/twins/${h.aliceTwin}/lifecycle`,
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
