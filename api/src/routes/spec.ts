import { buildAsyncApi } from '../../../spec/src';
import { defineRoute } from '../http/defineRoute';

/**
 * The spec routes: the AsyncAPI 3.0 document of the MQTT interface (`spec/asyncapi.json`), built from the same zod
 * schemas the oracle validates device messages with, as the OpenAPI document is from the routes'.
 *
 * @example
 * mountRoutes(router, specRoutes())
 */
export function specRoutes() {
  let document: unknown;
  return [
    defineRoute({
      method: 'get',
      path: '/asyncapi.json',
      operationId: 'getAsyncApi',
      summary: 'The AsyncAPI 3.0 document of the MQTT interface',
      description:
        'Every MQTT channel (`twins/{deviceId}/…`): who publishes and who reads it, QoS and retain, the payload ' +
        'JSON Schemas, the canonical form (RFC 8785) and the signature rule. The same document as `spec/asyncapi.json`.',
      tag: 'system',
      responses: { 200: { description: 'The AsyncAPI document', contentType: 'application/json' } },
      handler: () => (document ??= buildAsyncApi()),
    }),
  ];
}
