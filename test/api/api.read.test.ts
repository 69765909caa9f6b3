import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadApiConfig } from '../../api/src/config';
import { runApi } from '../../api/src/runApi';
import { CAST } from '../oracle/chain/deployOnNode';
import { signInSession, type TestSession } from '../helpers/siweSession';
import { eventually, nextEvent, startApiHarness, type ApiHarness } from './apiHarness';

describe('API: reading twins, snapshots and proofs (real server, oracle, chain, broker, IPFS)', function () {
  this.timeout(120_000);
  let h: ApiHarness;
  let anchored: { deviceId: string; seq: number };
  /** Alice, owner of device 0: device internals are hers to read (issue 14). */
  let aliceSession: TestSession;

  before(async function () {
    // One verifier thread whatever the machine's cores: /metrics shows where the checks ran.
    h = await startApiHarness('api-read', 3, { ORACLE_VERIFY_THREADS: '1' });
    aliceSession = await signInSession(h.api, h.wallet(CAST.alice));
    // Wait until some snapshot of Alice's twin is anchored: everything below reads a settled system.
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

  describe('GET /health and /metrics', function () {
    it('reports chain, broker, IPFS and index up, each with a detail', async function () {
      const { status, body } = await h.request('/health');
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body.status).to.equal('up');
      for (const name of ['chain', 'broker', 'ipfs', 'index']) {
        expect(body.components[name].up, name).to.equal(true);
        expect(body.components[name].detail, name).to.be.a('string').and.not.equal('');
      }
      expect(body.components.chain.detail).to.match(/^block \d+ on chain 31337$/);
    });

    it('serves Prometheus text with messages, rejections, batches, gas and API latency', async function () {
      await h.request('/twins');
      const { status, body, headers } = await h.request('/metrics');
      expect(status).to.equal(200);
      expect(headers.get('content-type')).to.match(/^text\/plain/);
      const received = Number(/^twin_messages_received_total (\d+)/m.exec(body)?.[1]);
      expect(received).to.be.greaterThan(0);
      expect(body).to.match(/^twin_anchor_batch_size_count \d+/m);
      expect(body).to.include('# TYPE twin_rejections_total gauge');
      expect(body).to.include('# TYPE twin_anchor_gas_used_total counter');
      // The in-process oracle checked on its verifier thread, never on its main thread.
      expect(Number(/^twin_oracle_checks_total\{thread="worker"\} (\d+)/m.exec(body)?.[1])).to.be.greaterThan(0);
      expect(body).to.match(/^twin_oracle_checks_total\{thread="main"\} 0$/m);
      expect(body).to.match(
        /twin_api_request_duration_seconds_count\{method="GET",route="\/twins",status="200"\} [1-9]/,
      );
    });
  });

  describe('GET /twins', function () {
    it('lists every minted twin with its chain record and latest snapshot', async function () {
      const { status, body } = await h.request('/twins', { headers: aliceSession.headers });
      expect(status).to.equal(200);
      expect(body.total).to.equal(3);
      expect(body.items.map((twin: { deviceId: string }) => twin.deviceId).sort()).to.deep.equal(
        h.harness.devices.map((device) => device.deviceId).sort(),
      );
      const alice = body.items.find((twin: { deviceId: string }) => twin.deviceId === h.aliceTwin);
      expect(alice.owner).to.equal(h.wallet(CAST.alice).address);
      expect(alice.state).to.equal('active');
      expect(alice.price).to.equal('0');
      expect(alice.latestSnapshot.seq).to.be.a('number');
      expect(alice.behaviour).to.equal('normal');
      expect(alice.access).to.equal('full');
      expect(alice.staticUrl).to.equal(`/ipfs/${alice.staticCid}?format=raw`);
    });

    it('filters by owner, manufacturer, state and forSale, and paginates', async function () {
      const byOwner = await h.request(`/twins?owner=${h.wallet(CAST.alice).address.toLowerCase()}`);
      expect(byOwner.body.items.map((twin: { deviceId: string }) => twin.deviceId)).to.deep.equal([h.aliceTwin]);
      const byManufacturer = await h.request(`/twins?manufacturer=${h.wallet(CAST.manufacturer).address}`);
      expect(byManufacturer.body.total).to.equal(3);
      expect((await h.request('/twins?state=suspended')).body.total).to.equal(0);
      expect((await h.request('/twins?forSale=true')).body.total).to.equal(0);
      const page2 = await h.request('/twins?page=2&pageSize=2');
      expect(page2.body).to.include({ total: 3, page: 2, pageSize: 2 });
      expect(page2.body.items).to.have.length(1);
    });

    it('answers 400 naming each bad query field', async function () {
      const { status, body } = await h.request('/twins?state=broken&pageSize=0&owner=0x12');
      expect(status).to.equal(400);
      expect(body.error.code).to.equal('invalid-input');
      expect(body.error.message).to.include('state').and.include('pageSize').and.include('owner');
      expect(body.error.details.map((detail: { field: string }) => detail.field).sort()).to.deep.equal([
        'owner',
        'pageSize',
        'state',
      ]);
    });
  });

  describe('GET /twins/:deviceId', function () {
    it('merges the chain record, the static document from IPFS, the latest snapshot and telemetry', async function () {
      const device = h.harness.devices[0]!;
      const { status, body } = await h.request(`/twins/${device.deviceId.toUpperCase().replace('0X', '0x')}`, {
        headers: aliceSession.headers,
      });
      expect(status).to.equal(200);
      expect(body.twin.deviceId).to.equal(device.deviceId);
      expect(body.twin.deviceSigner.toLowerCase()).to.equal(device.address.toLowerCase());
      expect(body.static, body.staticError).to.deep.equal(JSON.parse(JSON.stringify(device.staticDocument)));
      expect(body.staticError).to.equal(null);
      expect(body.latestSnapshot.seq).to.be.at.least(anchored.seq);
      expect(body.latestTelemetry.body.network).to.have.property('packetsInPerSec');
      expect(body.updates).to.deep.equal([]);
      expect(body.stateHistory).to.deep.equal([]);
      expect(body.owner.name).to.equal('Alice');
      expect(body.manufacturer.role).to.equal('manufacturer');
    });

    it('answers 404 for a twin never minted and 400 for a malformed DeviceID', async function () {
      const missing = await h.request(`/twins/0x${'1'.repeat(64)}`);
      expect(missing.status).to.equal(404);
      expect(missing.body.error.code).to.equal('twin-not-found');
      const malformed = await h.request('/twins/0x1234');
      expect(malformed.status).to.equal(400);
      expect(malformed.body.error.message).to.include('deviceId');
    });

    it('serves the cached bytes with an ETag (304 on If-None-Match) and a new snapshot right after its event', async function () {
      const device = h.harness.devices[1]!;
      const url = `${h.api}/twins/${device.deviceId}`;
      // A 304 once nothing changed between the two reads; a changed view carries another ETag.
      let notModified = 0;
      for (let i = 0; i < 20 && notModified === 0; i++) {
        const first = await fetch(url);
        const etag = first.headers.get('etag')!;
        expect(first.status).to.equal(200);
        expect(first.headers.get('content-type')).to.equal('application/json; charset=utf-8');
        expect(etag).to.match(/^W\/"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/);
        expect(Number(first.headers.get('content-length'))).to.equal((await first.arrayBuffer()).byteLength);
        // fetch would add `Cache-Control: no-cache` (a reload, never answered 304) unless the request has its own.
        const again = await fetch(url, { headers: { 'If-None-Match': etag, 'Cache-Control': 'max-age=0' } });
        if (again.status === 304) notModified++;
        else expect([again.status, again.headers.get('etag')]).to.not.deep.equal([200, etag]);
        await again.arrayBuffer();
      }
      expect(notModified).to.equal(1);
      // Read the view all along (so it is cached), until the feed streams the twin's next snapshot: the read that
      // follows the event shows it (the outbox event dropped the cached view before the feed streamed it).
      let reading = true;
      const hot = (async () => {
        // Every 100 ms: well within the harness's rate limit (600 a minute) for the tests after this one.
        while (reading) {
          await (await fetch(url)).arrayBuffer();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      try {
        const event = await nextEvent(
          `${h.api}/events?types=snapshot&deviceId=${device.deviceId}`,
          'snapshot',
          () => true,
          30_000,
        );
        const { status, body } = await h.request(`/twins/${device.deviceId}`);
        expect(status).to.equal(200);
        expect(body.latestSnapshot.seq).to.be.at.least(event.data.seq);
      } finally {
        reading = false;
        await hot;
      }
    });

    it('serves the recent telemetry readings, oldest first', async function () {
      const { status, body } = await h.request(`/twins/${h.aliceTwin}/telemetry?limit=5`, {
        headers: aliceSession.headers,
      });
      expect(status).to.equal(200);
      expect(body.items.length).to.be.within(1, 5);
      const seqs = body.items.map((item: { seq: number }) => item.seq);
      expect(seqs).to.deep.equal([...seqs].sort((a: number, b: number) => a - b));
      expect(body.items[0].body).to.have.property('cpuPercent');
    });
  });

  describe('telemetry history and sequence gaps (issue 15)', function () {
    it('serves per-bucket avg/min/max of each metric to the owner, from ISO or epoch-ms bounds', async function () {
      const to = Date.now() + 1_000;
      const { status, body } = await h.request(
        `/twins/${h.aliceTwin}/telemetry?bucket=60&from=${new Date(to - 3_600_000).toISOString()}&to=${to}`,
        { headers: aliceSession.headers },
      );
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body).to.include({ deviceId: h.aliceTwin, bucketSeconds: 60, to: new Date(to).toISOString() });
      expect(body.buckets.length).to.be.greaterThan(0);
      const bucket = body.buckets.at(-1);
      expect(bucket.readings).to.be.greaterThan(0);
      const cpu = bucket.metrics.cpuPercent;
      expect(cpu.min).to.be.at.most(cpu.avg);
      expect(cpu.avg).to.be.at.most(cpu.max);
      expect(Date.parse(bucket.start) % 60_000).to.equal(0);
    });

    it('keeps the buckets private and refuses bad or unbounded ranges naming the field', async function () {
      expect((await h.request(`/twins/${h.aliceTwin}/telemetry?bucket=60`)).status).to.equal(401);
      const bad = async (query: string) => {
        const { status, body } = await h.request(`/twins/${h.aliceTwin}/telemetry?${query}`, {
          headers: aliceSession.headers,
        });
        expect(status, query).to.equal(400);
        return [...new Set(body.error.details.map((issue: { field: string }) => issue.field))];
      };
      expect(await bad('bucket=1&from=0')).to.deep.equal(['bucket']); // decades in 1-s buckets
      expect(await bad('bucket=0')).to.deep.equal(['bucket']);
      expect(await bad('bucket=ten')).to.deep.equal(['bucket']);
      expect(await bad('from=2026-01-01T00:00:00Z')).to.deep.equal(['from']); // no bucket
      expect(await bad('bucket=60&from=yesterday')).to.deep.equal(['from']);
      expect(await bad(`bucket=60&from=${Date.now()}&to=${Date.now() - 60_000}`)).to.deep.equal(['from']);
    });

    it("serves a device's sequence gaps, and their totals in the metrics", async function () {
      const { status, body } = await h.request(`/twins/${h.aliceTwin}/gaps`);
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body.deviceId).to.equal(h.aliceTwin);
      expect(body.gaps).to.be.an('array');
      expect(body.openGaps).to.equal(body.gaps.length);
      expect(body.givenUp).to.have.keys(['gaps', 'missing']);
      expect((await h.request(`/twins/0x${'ee'.repeat(32)}/gaps`)).status).to.equal(404);
      const metrics = await (await fetch(`${h.api}/metrics`)).text();
      expect(metrics).to.match(/^twin_sequence_gaps_open \d+$/m);
      expect(metrics).to.match(/^twin_sequence_gap_missing \d+$/m);
      expect(metrics).to.match(/^twin_api_index_up 1$/m);
    });
  });

  describe('snapshots', function () {
    it('pages the history newest first and bounds it by time', async function () {
      const all = await h.request(`/twins/${h.aliceTwin}/snapshots?pageSize=500`);
      expect(all.status).to.equal(200);
      const seqs = all.body.items.map((item: { seq: number }) => item.seq);
      expect(seqs).to.deep.equal([...seqs].sort((a: number, b: number) => b - a));
      expect(all.body.total).to.equal(seqs.length);
      const oldest = all.body.items[all.body.items.length - 1];
      const bounded = await h.request(`/twins/${h.aliceTwin}/snapshots?to=${encodeURIComponent(oldest.collectedAt)}`);
      expect(bounded.body.items.map((item: { seq: number }) => item.seq)).to.deep.equal([oldest.seq]);
      const inverted = await h.request(
        `/twins/${h.aliceTwin}/snapshots?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`,
      );
      expect(inverted.status).to.equal(400);
      expect(inverted.body.error.message).to.include('from');
    });

    it('serves one full snapshot from IPFS: the signed message the device published', async function () {
      const { status, body } = await h.request(`/twins/${anchored.deviceId}/snapshots/${anchored.seq}`, {
        headers: aliceSession.headers,
      });
      expect(status).to.equal(200);
      expect(body.message).to.include({ kind: 'snapshot', deviceId: anchored.deviceId, seq: anchored.seq });
      expect(body.message.sig).to.match(/^0x[0-9a-f]{130}$/);
      expect(body.snapshot.anchored).to.equal(true);
      const missing = await h.request(`/twins/${anchored.deviceId}/snapshots/999999`, {
        headers: aliceSession.headers,
      });
      expect(missing.status).to.equal(404);
      expect(missing.body.error.code).to.equal('snapshot-not-found');
    });

    it('serves the Merkle proof, verified live against SnapshotAnchor', async function () {
      const { status, body } = await h.request(`/twins/${anchored.deviceId}/snapshots/${anchored.seq}/proof`);
      expect(status).to.equal(200);
      expect(body.verified).to.equal(true);
      expect(body.contract).to.equal(h.harness.registry.deployment.contracts.SnapshotAnchor);
      expect(body.batch.status).to.equal('confirmed');
      expect(body.batch.txHash).to.match(/^0x[0-9a-f]{64}$/);
      // Anyone can repeat the check with the values served.
      expect(
        await h.harness.registry.anchor.verifySnapshot(
          body.root,
          body.proof,
          body.deviceId,
          body.seq,
          body.snapshotHash,
        ),
      ).to.equal(true);
      expect(
        await h.harness.registry.anchor.verifySnapshot(
          body.root,
          body.proof,
          body.deviceId,
          body.seq + 1,
          body.snapshotHash,
        ),
      ).to.equal(false);
    });
  });

  describe('entities', function () {
    it('serves a registered entity, 404 for an unknown one, 400 for a bad address', async function () {
      const alice = await h.request(`/entities/${h.wallet(CAST.alice).address}`);
      expect(alice.status).to.equal(200);
      expect(alice.body).to.include({ role: 'owner', status: 'approved', name: 'Alice' });
      const unknown = await h.request(`/entities/${h.wallet(9).address}`);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.equal('entity-not-found');
      const bad = await h.request('/entities/alice');
      expect(bad.status).to.equal(400);
      expect(bad.body.error.details[0].field).to.equal('address');
    });
  });

  describe('GET /events', function () {
    it('streams telemetry of one twin as server-sent events', async function () {
      const { contentType, data } = await nextEvent(
        `${h.api}/events?deviceId=${h.aliceTwin}&access_token=${aliceSession.token}`,
        'telemetry',
        () => true,
        15_000,
      );
      expect(contentType).to.match(/^text\/event-stream/);
      expect(data.deviceId).to.equal(h.aliceTwin);
      expect(data.body).to.have.property('memoryUsedPercent');
    });

    it('streams anchored batches naming the twins in them', async function () {
      const { data } = await nextEvent(`${h.api}/events?types=anchored`, 'anchored', () => true, 20_000);
      expect(data.root).to.match(/^0x[0-9a-f]{64}$/);
      expect(data.leafCount).to.be.greaterThan(0);
      expect(data.deviceIds.length).to.be.greaterThan(0);
    });

    it('numbers each event with its outbox id, and resumes after a Last-Event-ID with what was missed', async function () {
      const first = await nextEvent(`${h.api}/events?types=snapshot`, 'snapshot', () => true, 20_000);
      expect(first.id).to.be.a('number');
      // Resuming just before it: the first snapshot event sent is that one, replayed from the outbox.
      const resumed = await nextEvent(`${h.api}/events?types=snapshot`, 'snapshot', () => true, 20_000, {
        'Last-Event-ID': String(first.id! - 1),
      });
      expect(resumed.id).to.equal(first.id);
      expect(resumed.data).to.deep.equal(first.data);
    });

    it('refuses an unknown event type with 400', async function () {
      const { status, body } = await h.request('/events?types=telemetry,gossip');
      expect(status).to.equal(400);
      expect(body.error.message).to.include('types');
    });
  });

  describe('the HTTP boundary', function () {
    it('serves the OpenAPI 3.1 document of every route, generated from the schemas', async function () {
      const { status, body } = await h.request('/openapi.json');
      expect(status).to.equal(200);
      expect(body.openapi).to.equal('3.1.0');
      const operations = Object.values(body.paths).flatMap((methods) =>
        Object.values(methods as Record<string, { operationId: string }>).map((operation) => operation.operationId),
      );
      for (const id of [
        'listTwins',
        'getTwin',
        'getSnapshotProof',
        'sendCommand',
        'listCommands',
        'getCommand',
        'commandTypedData',
        'setTwinLifecycle',
        'getTwinStateDocument',
        'putTwinStateDocument',
        'patchTwinStateDocument',
        'signIn',
        'streamEvents',
        'getHealth',
      ])
        expect(operations).to.include(id);
      const listTwins = body.paths['/api/v1/twins'].get;
      expect(listTwins.parameters.map((parameter: { name: string }) => parameter.name)).to.include.members([
        'owner',
        'state',
        'forSale',
        'page',
      ]);
      expect(body.components.schemas.TwinView.properties).to.have.property('latestSnapshot');
      expect(JSON.stringify(body)).to.not.include('#/$defs/');
    });

    it('serves the AsyncAPI 3.0 document of the MQTT interface: the committed spec/asyncapi.json', async function () {
      const { status, body } = await h.request('/asyncapi.json');
      expect(status).to.equal(200);
      expect(body.asyncapi).to.equal('3.0.0');
      expect(body).to.deep.equal(
        JSON.parse(readFileSync(join(__dirname, '..', '..', 'spec', 'asyncapi.json'), 'utf8')),
      );
    });

    it('answers JSON errors for unknown routes, bad JSON and oversize bodies, with security headers', async function () {
      const unknown = await h.request('/nothing-here');
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.equal('route-not-found');
      expect(unknown.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(unknown.headers.get('content-security-policy')).to.include("default-src 'self'");
      const badJson = await h.request('/auth/sign-in', { method: 'POST', body: '{"message": ' });
      expect(badJson.status).to.equal(400);
      expect(badJson.body.error.code).to.equal('invalid-json');
      const huge = await h.request('/auth/sign-in', {
        method: 'POST',
        body: JSON.stringify({ message: 'x'.repeat(100_000) }),
      });
      expect(huge.status).to.equal(413);
      expect(huge.body.error.code).to.equal('payload-too-large');
      expect(unknown.headers.get('ratelimit-policy')).to.match(/^"?\d+/);
    });

    it('counts refused requests by error code in the metrics', async function () {
      await h.request('/twins?state=broken');
      const { body } = await h.request('/metrics');
      expect(body).to.match(/^twin_api_errors_total\{code="invalid-input",status="400"\} [1-9]/m);
    });

    it('limits requests per client (429) and answers CORS for configured origins only', async function () {
      const { index, store } = h.services.oracle;
      const second = await runApi({
        config: loadApiConfig({
          environment: {
            API_PORT: '0',
            RPC_URL: h.harness.node.url,
            MQTT_URL: h.services.mqttUrl,
            API_DEPLOYMENT_FILE: h.harness.deploymentFile,
            API_RATE_LIMIT_PER_MINUTE: '3',
            API_CORS_ORIGINS: 'https://dashboard.example.org',
          },
        }),
        shared: { index, store },
      });
      try {
        const get = (origin: string) => fetch(`${second.url}/api/v1/twins`, { headers: { origin } });
        const allowed = await get('https://dashboard.example.org');
        expect(allowed.status).to.equal(200);
        expect(allowed.headers.get('access-control-allow-origin')).to.equal('https://dashboard.example.org');
        const other = await get('https://evil.example.org');
        expect(other.headers.get('access-control-allow-origin')).to.equal(null);
        await get('https://dashboard.example.org');
        const limited = await get('https://dashboard.example.org');
        expect(limited.status).to.equal(429);
        expect(((await limited.json()) as { error: { code: string } }).error.code).to.equal('rate-limited');
      } finally {
        await second.stop();
      }
    });

    it('serves the dashboard and its chart library locally', async function () {
      const base = h.services.api.url;
      const page = await fetch(`${base}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.include('<html');
      const chart = await fetch(`${base}/vendor/chart.umd.js`);
      expect(chart.status).to.equal(200);
      expect(chart.headers.get('content-type')).to.include('javascript');
      expect((await chart.text()).length).to.be.greaterThan(100_000);
    });
  });
});
