// ESM-only packages that a CommonJS require() cannot load, re-exported from an ES module so Node resolves them
// with the "import" condition. blockstore-fs 4.0.1 and datastore-fs 12.0.1 map the "module-sync" condition (which
// require() uses on Node 24) to ./src/index.js, a file they do not ship; @ipld/dag-pb exports only "import".
// TypeScript compiles `import()` to require() under "module": "commonjs", so this file is the way in.
// Types: esmPackages.d.mts. A build that emits JavaScript must copy this file next to the output.
export { FsBlockstore } from 'blockstore-fs';
export { FsDatastore } from 'datastore-fs';
export * as dagPb from '@ipld/dag-pb';
