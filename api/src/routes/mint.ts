import { getAddress } from 'ethers';
import { z } from 'zod';
import { getEntity, getTwin } from '../../../store/src';
import { formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { twinMintFields } from '../../../twin-core/src/static/mintFields';
import { encodeStaticDocument, parseStaticDocument } from '../../../twin-core/src/static/staticDocument';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { relayCallError } from '../relay/decodeRevert';
import { twinRegistryInterface } from '../relay/registryInterface';
import { addressSchema, errorSchema } from '../schemas/common';
import { sessionOf } from './auth';

const mintRequestSchema = z.strictObject({
  document: z
    .record(z.string(), z.unknown())
    .meta({ description: "The device's static document (its agent reads it)" }),
  deviceSigner: addressSchema.meta({ description: "The device's signing key, whose attestation this is" }),
  attestation: z
    .string()
    .regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature, 0x + 130 hex digits')
    .meta({ description: "The device key's EIP-712 mint attestation of (DeviceID, manufacturer)" }),
  price: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,28})$/, 'must be an amount of wei as a decimal string')
    .default('0')
    .meta({ description: 'List at this price on mint (wei; 0: not for sale)' }),
});

const mintPreparedSchema = z
  .object({
    deviceId: z.string(),
    staticCid: z.string().meta({ description: 'The document on IPFS (stored by this call)' }),
    staticHash: z.string(),
    to: z.string().meta({ description: 'The TwinRegistry' }),
    data: z.string().meta({ description: 'The `mint` calldata: send it from the manufacturer’s account' }),
  })
  .meta({ id: 'MintPrepared' });

/**
 * `POST /mint/prepare`: for a signed-in manufacturer, the `TwinRegistry.mint` transaction of a static document and a
 * device attestation, checked by a dry run as that manufacturer (a revert is a 422 naming the custom error), with
 * the document stored on IPFS under the CID the twin will carry. The manufacturer sends it from its own account: a
 * mint is never relayed.
 *
 * @example
 * mountRoutes(router, mintRoutes(context))
 */
export function mintRoutes(context: ApiContext) {
  return [
    defineRoute({
      method: 'post',
      path: '/mint/prepare',
      operationId: 'prepareMint',
      summary: 'The mint transaction of a static document and a device attestation (manufacturers)',
      description:
        'Validates the static document, computes the DeviceID, hash and CID, stores the document on IPFS, and dry-runs ' +
        '`mint` as the signed-in manufacturer. Returns `{ to, data }` to send from that account.',
      tag: 'twins',
      auth: 'bearer',
      body: mintRequestSchema,
      responses: {
        200: { description: 'The transaction to send', schema: mintPreparedSchema },
        400: { description: 'Not a static document, or a bad field', schema: errorSchema },
        401: { description: 'Not signed in', schema: errorSchema },
        403: { description: 'Not an approved manufacturer', schema: errorSchema },
        409: { description: 'A twin with this DeviceID exists', schema: errorSchema },
        422: { description: 'The registry would revert; details name the custom error', schema: errorSchema },
      },
      handler: async ({ body, req }) => {
        const session = await sessionOf(req, context.auth);
        const entity = await getEntity(context.index, session.address);
        if (entity === undefined || entity.status !== 'approved' || entity.role !== 'manufacturer') {
          throw new ApiError('Only an approved manufacturer mints twins.', {
            status: 403,
            code: 'role-not-allowed',
            details: { address: session.address, role: entity?.role ?? null, status: entity?.status ?? null },
          });
        }
        let document;
        try {
          document = parseStaticDocument(body.document);
        } catch (error) {
          throw new ApiError(`Invalid static document: ${(error as Error).message.split('\n')[0]}`, {
            status: 400,
            code: 'invalid-input',
            details: [{ in: 'body', field: 'document', message: (error as Error).message.slice(0, 500) }],
            cause: error,
          });
        }
        const fields = twinMintFields(document);
        const deviceId = formatDeviceId(fields.deviceId);
        if ((await getTwin(context.index, deviceId)) !== undefined) {
          throw new ApiError('A twin with this DeviceID is already minted.', {
            status: 409,
            code: 'twin-exists',
            details: { deviceId },
          });
        }
        const to = getAddress(context.deployment.contracts.TwinRegistry);
        const data = twinRegistryInterface.encodeFunctionData('mint', [
          fields.deviceId,
          fields.identity,
          fields.staticHash,
          fields.staticCid,
          body.deviceSigner,
          BigInt(body.price),
          body.attestation,
        ]);
        await context.provider.call({ from: session.address, to, data }).catch((error: unknown) => {
          throw relayCallError(error, `mint by ${session.address}`);
        });
        const stored = await context.store.add(encodeStaticDocument(document));
        if (stored !== fields.staticCid) {
          throw new ApiError('IPFS stored the document under another CID than the one minted.', {
            status: 502,
            code: 'ipfs-unavailable',
            details: { expected: fields.staticCid, stored },
          });
        }
        return { deviceId, staticCid: fields.staticCid, staticHash: fields.staticHash, to, data };
      },
    }),
  ];
}
