/**
 * The device protocol as a published spec (issue 12): the AsyncAPI document of the MQTT channels, the JSON Schemas
 * of their payloads, the test vectors and the contracts' ABIs, all generated from the code (`npm run spec`).
 *
 * @example
 * import { buildAsyncApi } from '../../spec/src'
 * app.get('/api/v1/asyncapi.json', (_req, res) => res.json(buildAsyncApi()))
 */
export { ASYNCAPI_DOCUMENT_VERSION, buildAsyncApi } from './buildAsyncApi';
export { CHANNELS, PARTIES, type ChannelSpec, type Party } from './channels';
export { jsonSchemaOf, type JsonSchema } from './jsonSchema';
export { buildSpecFiles, SPEC_DIR } from './buildSpecFiles';
