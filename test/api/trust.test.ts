import { createHash } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { expect } from 'chai';
import { CID } from 'multiformats/cid';
import { connect } from 'mqtt';
import { blockLinks, parseBlobCid } from '../../blobs/src';
import { loadApiConfig } from '../../api/src/config';
import { runApi, type RunningApi } from '../../api/src/runApi';
import { canonicalMessage } from '../../twin-core/src/signing/messageSignature';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { brokerLogin } from '../helpers/brokerLogin';
import { signInSession, type TestSession } from '../helpers/siweSession';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { eventually, nextEvent, RELAYER_ACCOUNT, startApiHarness, type ApiHarness } from './apiHarness';

const RAW = 'application/vnd.ipld.raw';

/** sha2-256 of `bytes` equals the digest in `cid`. */
function matchesCid(cid: string, bytes: Uint8Array): boolean {
  return Buffer.compare(createHash('sha256').update(bytes).digest(), CID.parse(cid).multihash.digest) === 0;
}

/** Opens `url` as an event stream and returns its status (the body is left open until `close`). */
async function openStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  return { status: response.status, close: () => controller.abort(), response };
}

describe('API trust (issues 12 and 14): private internals, the IPFS gateway, rejections, budgets, hygiene (real server, chain)', function () {
  this.timeout(180_000);
  let h: ApiHarness;
  let alice: TestSession;
  let manufacturer: TestSession;
  let security: TestSession;
  let bob: TestSession;
  let anchored: { deviceId: string; seq: number; cid: string; hash: string; url: string };

  before(async function () {
    h = await startApiHarness('api-trust', 2);
    [alice, manufacturer, security, bob] = await Promise.all(
      [CAST.alice, CAST.manufacturer, CAST.security, CAST.bob].map((account) =>
        signInSession(h.api, h.wallet(account)),
      ),
    );
    const page = await eventually(
      () => h.request(`/twins/${h.aliceTwin}/snapshots?pageSize=50`),
      (answer) => answer.status === 200 && answer.body.items.some((item: { anchored: boolean }) => item.anchored),
      60_000,
      'an anchored snapshot',
    );
    anchored = page.body.items.find((item: { anchored: boolean }) => item.anchored);
  });

  after(async function () {
    await h?.stop();
  });

  describe('device internals are private (issue 14 item 5)', function () {
    it('shows the public the twin record, states, hashes, CIDs and proofs, and no telemetry or behaviour', async function () {
      const { status, body } = await h.request(`/twins/${h.aliceTwin}`);
      expect(status).to.equal(200);
      expect(body.twin).to.include({ deviceId: h.aliceTwin, access: 'public', behaviour: null, anomalous: null });
      expect(body.latestTelemetry).to.equal(null);
      expect(body.latestSnapshot.hash).to.match(/^0x[0-9a-f]{64}$/);
      expect(body.latestSnapshot.url).to.equal(`/ipfs/${body.latestSnapshot.cid}?format=raw`);
      const proof = await h.request(`/twins/${anchored.deviceId}/snapshots/${anchored.seq}/proof`);
      expect(proof.status).to.equal(200);
      expect(proof.body.verified).to.equal(true);
      const list = await h.request('/twins');
      expect(list.body.items.every((twin: { behaviour: unknown }) => twin.behaviour === null)).to.equal(true);
    });

    it('refuses the public the telemetry, snapshot bodies, commands, state document and notifications: 401', async function () {
      for (const path of [
        `/twins/${h.aliceTwin}/telemetry`,
        `/twins/${anchored.deviceId}/snapshots/${anchored.seq}`,
        `/twins/${h.aliceTwin}/commands`,
        `/twins/${h.aliceTwin}/commands/0x${'ab'.repeat(32)}`,
        `/twins/${h.aliceTwin}/state`,
        `/owners/${h.wallet(CAST.alice).address}/notifications`,
      ]) {
        const { status, body } = await h.request(path);
        expect(status, path).to.equal(401);
        expect(body.error.code, path).to.equal('sign-in-required');
      }
    });

    it("lets the twin's owner, its manufacturer and a security entity read them; another owner gets 403", async function () {
      for (const reader of [alice, manufacturer, security]) {
        const telemetry = await h.request(`/twins/${h.aliceTwin}/telemetry?limit=2`, { headers: reader.headers });
        expect(telemetry.status).to.equal(200);
        expect(telemetry.body.items[0].body).to.have.property('cpuPercent');
        const view = await h.request(`/twins/${h.aliceTwin}`, { headers: reader.headers });
        expect(view.body.twin.access).to.equal('full');
        expect(view.body.latestTelemetry.body).to.have.property('memoryUsedPercent');
      }
      for (const path of ['telemetry', 'commands', 'state']) {
        const stranger = await h.request(`/twins/${h.aliceTwin}/${path}`, { headers: bob.headers });
        expect(stranger.status, path).to.equal(403);
        expect(stranger.body.error.code, path).to.equal('not-twin-reader');
        const reader = await h.request(`/twins/${h.aliceTwin}/${path}`, { headers: security.headers });
        expect(reader.status, path).to.equal(200);
      }
      const notifications = await h.request(`/owners/${h.wallet(CAST.alice).address}/notifications`, {
        headers: bob.headers,
      });
      expect(notifications.status).to.equal(403);
      expect((await h.request(`/twins/${h.aliceTwin}`, { headers: bob.headers })).body.latestTelemetry).to.equal(null);
    });

    it('streams telemetry only to readers who may see it; state and anchoring events to anyone', async function () {
      const publicStream = await openStream(`${h.api}/events?deviceId=${h.aliceTwin}`);
      try {
        const [anchoredEvent, telemetry] = await Promise.all([
          nextEvent(`${h.api}/events?deviceId=${h.aliceTwin}&types=anchored`, 'anchored', () => true, 30_000),
          nextEvent(
            `${h.api}/events?deviceId=${h.aliceTwin}&access_token=${alice.token}`,
            'telemetry',
            () => true,
            15_000,
          ),
        ]);
        expect(anchoredEvent.data.deviceIds).to.include(h.aliceTwin);
        expect(telemetry.data.deviceId).to.equal(h.aliceTwin);
        // The anonymous stream, open all along, carried no telemetry.
        publicStream.close();
        const text = await publicStream.response.text().catch(() => '');
        expect(text).to.not.include('event: telemetry');
      } finally {
        publicStream.close();
      }
      const bobsStream = await nextEvent(
        `${h.api}/events?owner=${h.wallet(CAST.alice).address}&access_token=${bob.token}`,
        'telemetry',
        () => true,
        4_000,
      ).then(
        () => 'received',
        (error: Error) => error.message,
      );
      expect(bobsStream).to.match(/no telemetry event within/);
    });
  });

  describe('the IPFS trustless gateway (issue 12 item 6)', function () {
    it("serves a snapshot's exact bytes: they hash to its CID, to its snapshot hash, and its proof holds", async function () {
      const response = await fetch(`${h.services.api.url}${anchored.url}`, { headers: alice.headers });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal(RAW);
      expect(response.headers.get('content-disposition')).to.equal(`attachment; filename="${anchored.cid}.bin"`);
      expect(response.headers.get('etag')).to.equal(`"${anchored.cid}.raw"`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(matchesCid(anchored.cid, bytes)).to.equal(true);
      const message = JSON.parse(Buffer.from(bytes).toString('utf8'));
      const { stored, hash } = canonicalMessage(message);
      expect(stored).to.equal(Buffer.from(bytes).toString('utf8'));
      expect(hash).to.equal(anchored.hash);
      const proof = await h.request(`/twins/${anchored.deviceId}/snapshots/${anchored.seq}/proof`);
      expect(
        await h.harness.registry.anchor.verifySnapshot(
          proof.body.root,
          proof.body.proof,
          anchored.deviceId,
          anchored.seq,
          hash,
        ),
      ).to.equal(true);
    });

    it('serves a static document to anyone, and a snapshot only to its readers', async function () {
      const twin = (await h.request(`/twins/${h.aliceTwin}`)).body.twin;
      const raw = await fetch(`${h.services.api.url}/ipfs/${twin.staticCid}`, { headers: { accept: RAW } });
      expect(raw.status).to.equal(200);
      expect(matchesCid(twin.staticCid, new Uint8Array(await raw.arrayBuffer()))).to.equal(true);
      const anonymous = await fetch(`${h.services.api.url}${anchored.url}`);
      expect(anonymous.status).to.equal(401);
      const stranger = await fetch(`${h.services.api.url}${anchored.url}`, { headers: bob.headers });
      expect(stranger.status).to.equal(403);
    });

    it('serves a blob above 256 KiB block by block: its dag-pb root, then the leaves it links, which rebuild the bytes', async function () {
      // A firmware artifact of 600 KiB, recorded on chain by the twin's owner: a public blob of several blocks.
      const artifact = new Uint8Array(600 * 1024).map((_byte, index) => (index * 7919) % 251);
      const cid = await h.services.api.context.store.add(artifact);
      const hash = `0x${createHash('sha256').update(artifact).digest('hex')}`;
      await mined(
        h.harness.registry.twins
          .connect(h.wallet(CAST.alice))
          .recordUpdate(h.aliceTwin, 'firmware', '2.0.0', hash, cid),
      );
      const base = `${h.services.api.url}/ipfs`;
      const root = await eventually(
        () => fetch(`${base}/${cid}?format=raw`),
        (response) => response.status === 200,
        20_000,
        'the artifact indexed',
      );
      const rootBytes = new Uint8Array(await root.arrayBuffer());
      expect(matchesCid(cid, rootBytes)).to.equal(true);
      const links = blockLinks(parseBlobCid(cid), rootBytes);
      expect(links.length).to.be.greaterThan(1);
      // A leaf no served root links to is not here.
      const stranger = await fetch(`${base}/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku?format=raw`);
      expect(stranger.status).to.equal(404);
      const parts: Buffer[] = [];
      for (const link of links) {
        const leaf = await fetch(`${base}/${link}?format=raw`);
        expect(leaf.status).to.equal(200);
        const bytes = Buffer.from(await leaf.arrayBuffer());
        expect(matchesCid(link, bytes)).to.equal(true);
        parts.push(bytes);
      }
      expect(Buffer.compare(Buffer.concat(parts), Buffer.from(artifact))).to.equal(0);
    });

    it('answers the spec: probe 200 empty, no Accept 400, another format 406, unknown 404, bad CID 400, a path 400', async function () {
      const base = `${h.services.api.url}/ipfs`;
      const probe = await fetch(`${base}/bafkqaaa?format=raw`);
      expect(probe.status).to.equal(200);
      expect((await probe.arrayBuffer()).byteLength).to.equal(0);
      const head = await fetch(`${base}/bafkqaaa`, { method: 'HEAD', headers: { accept: RAW } });
      expect(head.status).to.equal(200);
      const twin = (await h.request(`/twins/${h.aliceTwin}`)).body.twin;
      // No Accept at all (fetch always sends one): 400 as a strict trustless gateway; `*/*` names no format: 406.
      const bare = await new Promise<number>((resolve, reject) =>
        httpGet(`${base}/${twin.staticCid}`, (response) => (response.resume(), resolve(response.statusCode!))).on(
          'error',
          reject,
        ),
      );
      expect(bare).to.equal(400);
      expect((await fetch(`${base}/${twin.staticCid}`, { headers: { accept: '*/*' } })).status).to.equal(406);
      const car = await fetch(`${base}/${twin.staticCid}`, { headers: { accept: 'application/vnd.ipld.car' } });
      expect(car.status).to.equal(406);
      expect((await fetch(`${base}/${twin.staticCid}?format=car`)).status).to.equal(406);
      expect((await fetch(`${base}/${twin.staticCid}`, { headers: { accept: 'text/html' } })).status).to.equal(406);
      const unknown = await fetch(`${base}/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku?format=raw`);
      expect(unknown.status).to.equal(404);
      const bad = await fetch(`${base}/not-a-cid?format=raw`);
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).to.equal('invalid-cid');
      expect((await fetch(`${base}/${twin.staticCid}/a/path?format=raw`)).status).to.equal(400);
      const cached = await fetch(`${base}/${twin.staticCid}?format=raw`, {
        headers: { 'if-none-match': `"${twin.staticCid}.raw"` },
      });
      expect(cached.status).to.equal(304);
    });
  });

  describe('rejections and the dry run (issue 12 items 5 and 7)', function () {
    let captured: { topic: string; payload: string };

    before(async function () {
      // A reader of device topics (an oracle's key) captures a real message; the device's own key, which may
      // publish on its topics, sends the tampered copies (the broker's ACL would refuse anyone else).
      const oracle = h.harness.node.wallet(CAST.oracle);
      const reader = await connectAsync(
        h.services.mqttUrl,
        brokerLogin(h.harness.deploymentFile, { kind: 'oracle', id: oracle.address as Hex }, oracle.privateKey),
      );
      const device = h.harness.devices[0]!;
      const publisher = await connectAsync(
        h.services.mqttUrl,
        brokerLogin(h.harness.deploymentFile, { kind: 'device', id: h.aliceTwin as Hex }, device.privateKey),
      );
      try {
        const topic = deviceTopic(h.aliceTwin as Hex, 'telemetry');
        await reader.subscribeAsync(topic, { qos: 1 });
        captured = await new Promise((resolve) =>
          reader.on('message', (received, payload) => resolve({ topic: received, payload: payload.toString('utf8') })),
        );
        // The same message with another sequence number: signed bytes changed, refused as wrong-signer.
        const message = JSON.parse(captured.payload);
        await publisher.publishAsync(topic, JSON.stringify({ ...message, seq: message.seq + 1_000_000 }), { qos: 1 });
        await publisher.publishAsync(topic, '{ not json', { qos: 1 });
      } finally {
        await reader.endAsync();
        await publisher.endAsync();
      }
    });

    it('lists refused messages by device and reason, paged, with every reason code and its trigger', async function () {
      const page = await eventually(
        () => h.request(`/rejections?deviceId=${h.aliceTwin}&reason=wrong-signer`),
        (answer) => answer.status === 200 && answer.body.items.length > 0,
        20_000,
        'the wrong-signer rejection',
      );
      expect(page.body.items[0]).to.include({ deviceId: h.aliceTwin, reason: 'wrong-signer' });
      expect(page.body.reasons['bad-signature']).to.include('no public key recovers');
      expect(page.body.reasons['wrong-signer']).to.include('recovers');
      expect(page.body.counts['wrong-signer']).to.be.at.least(1);
      const all = await eventually(
        () => h.request('/rejections?limit=1'),
        (answer) => answer.body.items.length === 1 && answer.body.counts['not-json'] >= 1,
        20_000,
        'both rejections',
      );
      expect(all.body.next).to.equal(all.body.items[0].id);
      const older = await h.request(`/rejections?limit=1&before=${all.body.next}`);
      expect(older.body.items[0].id).to.be.below(all.body.next);
      const future = await h.request('/rejections?from=2999-01-01T00:00:00Z');
      expect(future.body.items).to.deep.equal([]);
      const bad = await h.request('/rejections?reason=gossip');
      expect(bad.status).to.equal(400);
      expect(bad.body.error.message).to.include('reason');
    });

    it('says what the oracle would answer, accepting nothing: replay, wrong-signer, bad-signature, not-json', async function () {
      const check = (payload: string) =>
        fetch(`${h.api}/messages/check?topic=${encodeURIComponent(captured.topic)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: payload,
        }).then(async (response) => ({ status: response.status, body: (await response.json()) as any }));
      // The oracle saves its sequence ledger every 500 ms: the captured message, accepted a moment ago, is a replay
      // once that save has happened.
      let replayed = await check(captured.payload);
      for (let tries = 0; tries < 16 && replayed.body.verdict === 'accepted'; tries++) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 250));
        replayed = await check(captured.payload);
      }
      expect(replayed.status).to.equal(200);
      expect(replayed.body.verdict).to.equal('refused');
      expect(replayed.body.rejection.reason).to.equal('replay');
      const message = JSON.parse(captured.payload);
      const next = { ...message, seq: message.seq + 5_000_000 };
      const resigned = await check(JSON.stringify(next));
      expect(resigned.body.rejection.reason).to.equal('wrong-signer');
      // s in the upper half of the curve order: no canonical signature at all.
      const high = { ...message, sig: `${message.sig.slice(0, 66)}f${message.sig.slice(67)}` };
      const badSignature = await check(JSON.stringify(high));
      expect(badSignature.body.rejection.reason).to.equal('bad-signature');
      const notJson = await check('{ nope');
      expect(notJson.body.rejection.reason).to.equal('not-json');
      const unknownField = await check(JSON.stringify({ ...message, extra: 1 }));
      expect(unknownField.body.rejection).to.include({ reason: 'invalid-schema', field: 'extra' });
      const huge = await check(`"${'x'.repeat(2 * 1024 * 1024)}"`);
      expect(huge.status).to.equal(413);
    });
  });

  describe('relayer budgets, revocation at once, rate limits (issue 14 items 4 and 6)', function () {
    let second: RunningApi;
    let api2: string;

    before(async function () {
      const { index, store } = h.services.oracle;
      second = await runApi({
        config: loadApiConfig({
          environment: {
            API_PORT: '0',
            RPC_URL: h.harness.node.url,
            MQTT_URL: h.services.mqttUrl,
            API_DEPLOYMENT_FILE: h.harness.deploymentFile,
            API_RELAYER_KEY: h.wallet(RELAYER_ACCOUNT + 1).privateKey,
            API_RELAY_BUDGET_REQUESTS: '2',
            API_RELAY_BUDGET_WINDOW_SECONDS: '600',
            API_RELAYER_LOW_BALANCE_ETH: '1000000',
            API_EVENT_STREAMS_PER_CLIENT: '2',
            API_CHECK_MESSAGE_PER_MINUTE: '2',
          },
        }),
        shared: { index, store },
      });
      api2 = `${second.url}/api/v1`;
    });

    after(async function () {
      await second?.stop();
    });

    const post = (path: string, body: unknown) =>
      fetch(`${api2}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (response) => ({
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as any,
      }));

    it("refuses an owner's relayed writes past its budget with 429, what is left and when it refills, sending nothing", async function () {
      const owner = h.wallet(CAST.alice);
      const relayer = h.wallet(RELAYER_ACCOUNT + 1);
      const results = [];
      for (let i = 0; i < 3; i++) {
        const prepared = await post('/relay/prepare', {
          from: owner.address,
          action: 'recordUpdate',
          deviceId: h.aliceTwin,
          args: { component: 'firmware', version: `1.0.${i}` },
        });
        expect(prepared.status, JSON.stringify(prepared.body)).to.equal(200);
        const { domain, types, message } = prepared.body;
        const signature = await owner.signTypedData(domain, types, message);
        results.push(await post('/relay', { request: message, signature }));
      }
      expect(results.slice(0, 2).map((result) => result.status)).to.deep.equal([200, 200]);
      const refused = results[2]!;
      expect(refused.status).to.equal(429);
      expect(refused.body.error.code).to.equal('relay-budget-exceeded');
      expect(refused.body.error.details.remaining.requests).to.equal(0);
      expect(Date.parse(refused.body.error.details.refillsAt)).to.be.greaterThan(Date.now());
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 600);
      expect(await h.harness.node.provider.getTransactionCount(relayer.address)).to.equal(2);
      const standing = await (await fetch(`${api2}/relay/budget/${owner.address}`)).json();
      expect(standing).to.deep.include({ remaining: { gas: (standing as any).remaining.gas, requests: 0 } });
      const metrics = await (await fetch(`${api2}/metrics`)).text();
      expect(metrics).to.match(/^twin_relayer_transactions_total 2$/m);
      expect(metrics).to.match(/^twin_relayer_over_budget_total 1$/m);
      expect(Number(/^twin_relayer_gas_used_total (\d+)/m.exec(metrics)?.[1])).to.be.greaterThan(0);
      expect(Number(/^twin_relayer_balance_eth (\S+)/m.exec(metrics)?.[1])).to.be.greaterThan(0);
    });

    it('shows a low relayer balance and the reads mode in /health without failing it', async function () {
      const health = (await (await fetch(`${api2}/health`)).json()) as any;
      expect(health.relayer).to.include({ configured: true, lowBalance: true });
      expect(health.relayer.detail).to.include('top it up');
      expect(health.reads).to.equal('private');
      const main = (await h.request('/health')).body;
      expect(main.relayer.lowBalance).to.equal(false);
    });

    it('caps the event streams one client holds open (429 beyond)', async function () {
      const streams = [await openStream(`${api2}/events`), await openStream(`${api2}/events`)];
      try {
        expect(streams.map((stream) => stream.status)).to.deep.equal([200, 200]);
        const third = await fetch(`${api2}/events`);
        expect(third.status).to.equal(429);
        expect(((await third.json()) as any).error.code).to.equal('too-many-streams');
      } finally {
        for (const stream of streams) stream.close();
      }
      await eventually(
        () => fetch(`${api2}/events`).then((response) => (response.body?.cancel(), response.status)),
        (status) => status === 200,
        5_000,
        'a stream slot freed',
      );
    });

    describe('when the API holds its most streams over all clients', function () {
      let third: RunningApi;

      before(async function () {
        const { index, store } = h.services.oracle;
        third = await runApi({
          config: loadApiConfig({
            environment: {
              API_PORT: '0',
              RPC_URL: h.harness.node.url,
              MQTT_URL: h.services.mqttUrl,
              API_DEPLOYMENT_FILE: h.harness.deploymentFile,
              API_EVENT_STREAMS_PER_CLIENT: '3',
              API_EVENT_STREAMS_MAX: '2',
            },
          }),
          shared: { index, store },
        });
      });

      after(async function () {
        await third?.stop();
      });

      it('refuses one more with 503 streams-exhausted, and takes one again once a stream closes', async function () {
        const api3 = `${third.url}/api/v1`;
        const streams = [await openStream(`${api3}/events`), await openStream(`${api3}/events`)];
        try {
          expect(streams.map((stream) => stream.status)).to.deep.equal([200, 200]);
          const refused = await fetch(`${api3}/events`);
          expect(refused.status).to.equal(503);
          expect(((await refused.json()) as any).error).to.deep.include({
            code: 'streams-exhausted',
            details: { limit: 2 },
          });
        } finally {
          streams[0]!.close();
        }
        try {
          await eventually(
            () => fetch(`${api3}/events`).then((response) => (response.body?.cancel(), response.status)),
            (status) => status === 200,
            5_000,
            'a stream slot freed',
          );
        } finally {
          streams[1]!.close();
        }
      });
    });

    it('rate-limits the dry run per client', async function () {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await post('/messages/check', { v: 1 })).status);
      expect(statuses).to.deep.equal([200, 200, 429]);
    });

    it('answers a malformed URL with 400, never 500', async function () {
      for (const path of ['/twins/%ZZ', '/twins/%E0%A4%A', '/entities/%', '/twins?owner=%ZZ']) {
        const response = await fetch(`${api2}${path}`);
        expect(response.status, path).to.equal(400);
      }
      // An unmatched API path, the IPFS gateway and the dashboard's static files too.
      for (const path of ['/api/v1/no-such-route/%ZZ', '/ipfs/%ZZ', '/%ZZ', '/views/%E0%A4%A.js']) {
        const response = await fetch(`${second.url}${path}`);
        expect(response.status, path).to.equal(400);
      }
    });

    it('applies a revocation at once: /auth/session, reads and streams of the revoked entity are refused', async function () {
      const session = await fetch(`${h.api}/auth/session`, { headers: bob.headers });
      expect(session.status).to.equal(200);
      await mined(h.harness.registry.entities.connect(h.wallet(CAST.admin)).revoke(h.wallet(CAST.bob).address, 'test'));
      const after = await eventually(
        () =>
          fetch(`${h.api}/auth/session`, { headers: bob.headers }).then(async (r) => ({
            status: r.status,
            body: (await r.json()) as any,
          })),
        (answer) => answer.status !== 200,
        20_000,
        'the revocation mirrored',
      );
      expect(after.status).to.equal(403);
      expect(after.body.error.code).to.equal('entity-not-approved');
      expect((await h.request('/twins', { headers: bob.headers })).status).to.equal(403);
      expect((await fetch(`${h.api}/events?access_token=${bob.token}`)).status).to.equal(403);
    });
  });
});

async function connectAsync(url: string, login: ReturnType<typeof brokerLogin>) {
  const client = connect(url, login);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}
