// Without zod: the device agent imports it at run time (issue 17); schema.ts re-exports it.

/** Version of the static-document schema; a document states the version it follows. */
export const STATIC_DOCUMENT_SCHEMA_VERSION = 1;
