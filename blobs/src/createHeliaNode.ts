import { dirname, join } from 'node:path';
import type { Helia } from 'helia';

/** What `createHeliaLight` takes: the stores (and Helia's other options, unused here). */
type HeliaInit = { blockstore: unknown; datastore: unknown };
type HeliaConstructor = new (init: HeliaInit & { name: string; version: string }) => Helia;

/**
 * Loads Helia's core class without `helia`'s entry module. That entry (`createHelia` and `createHeliaLight` alike)
 * imports `@helia/libp2p`'s defaults (DHT, WebRTC, WebSockets, AutoTLS, UPnP…) and `@helia/http` at load time:
 * measured here, 0.9 s and 140 MiB RSS for `require('helia')` against 0.17 s and 74 MiB for the class alone, paid by
 * every process, networked or not. `createHeliaLight` is `new Helia({ name, version, ...init })`; so is this. Falls
 * back to the entry if a Helia release moves the file.
 */
function loadHelia(): (init: HeliaInit) => Helia {
  try {
    const folder = dirname(require.resolve('helia'));
    const { Helia: HeliaClass } = require(join(folder, 'helia.js')) as { Helia: HeliaConstructor };
    const { name, version } = require(join(folder, 'version.js')) as { name: string; version: string };
    if (typeof HeliaClass !== 'function' || typeof name !== 'string') throw new Error('unexpected helia layout');
    return (init) => new HeliaClass({ name, version, ...init });
  } catch {
    const { createHeliaLight } = require('helia') as typeof import('helia');
    return (init) => createHeliaLight(init as Parameters<typeof createHeliaLight>[0]);
  }
}

let create: ((init: HeliaInit) => Helia) | undefined;

/**
 * A Helia node without libp2p, routers or block brokers, as `createHeliaLight` makes it (the private network adds
 * its own libp2p node and bitswap), loaded without `helia`'s entry module (see above).
 *
 * @example
 * const helia = createHeliaNode({ blockstore, datastore })
 * await helia.start()
 */
export function createHeliaNode(init: HeliaInit): Helia {
  create ??= loadHelia();
  return create(init);
}
