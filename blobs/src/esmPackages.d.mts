/** Types of esmPackages.mjs (see there for why it exists). */
export { FsBlockstore } from 'blockstore-fs';
export { FsDatastore } from 'datastore-fs';
export * as dagPb from '@ipld/dag-pb';
