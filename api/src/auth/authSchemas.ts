import { z } from 'zod';
import { maxSiweMessageBytes } from './parseSiweMessage';
import { sessionRoles } from './sessionRole';

/** A 20-byte address, 0x hex (any case in requests; responses carry the EIP-55 checksummed form). */
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .meta({ description: 'Ethereum address, 0x hex (EIP-55 checksummed in responses).' });

/** A session role. */
export const sessionRoleSchema = z.enum(sessionRoles).meta({ description: 'Registry role the session carries.' });

/** An ISO 8601 instant. */
const instantSchema = z.iso.datetime({ offset: true });

/** Response of `POST /auth/nonce` (or `GET`): a single-use sign-in nonce. */
export const nonceResponseSchema = z
  .object({
    nonce: z
      .string()
      .regex(/^[0-9a-zA-Z]{8,}$/)
      .meta({ description: 'Single-use nonce for the message `Nonce:` field.' }),
    expiresAt: instantSchema.meta({ description: 'Sign in before this time; also the message Expiration Time.' }),
  })
  .meta({ description: 'A sign-in nonce.' });

/** Request body of the (optional) message helper: the EIP-4361 text to sign for an address and nonce. */
export const messageRequestSchema = z
  .object({
    address: addressSchema,
    nonce: z.string().min(8).max(128).meta({ description: 'A nonce from the nonce endpoint.' }),
    statement: z
      .string()
      .max(512)
      .regex(/^[^\n]*$/)
      .optional()
      .meta({ description: 'One line shown in the wallet.' }),
  })
  .meta({ description: 'What to build an EIP-4361 message for.' });

/** Response of the message helper. */
export const messageResponseSchema = z
  .object({ message: z.string().meta({ description: 'EIP-4361 message text to sign with personal_sign.' }) })
  .meta({ description: 'An EIP-4361 message for this API.' });

/** Request body of `POST /auth/sign-in`. */
export const signInRequestSchema = z
  .object({
    message: z
      .string()
      .min(1)
      .max(maxSiweMessageBytes)
      .refine((message) => Buffer.byteLength(message, 'utf8') <= maxSiweMessageBytes, {
        message: `At most ${maxSiweMessageBytes} bytes.`,
      })
      .meta({ description: 'EIP-4361 (Sign-In with Ethereum) message text, exactly as signed; at most 4 KiB.' }),
    signature: z
      .string()
      .regex(/^0x[0-9a-fA-F]{130}$/)
      .meta({ description: '65-byte EIP-191 personal_sign signature of the message, 0x hex.' }),
  })
  .strict()
  .meta({ description: 'A signed Sign-In with Ethereum message.' });

/** Response of `POST /auth/sign-in`. */
export const signInResponseSchema = z
  .object({
    token: z.string().meta({ description: 'Session JWT (HS256); send as `Authorization: Bearer <token>`.' }),
    expiresAt: instantSchema.meta({ description: 'When the token expires.' }),
    address: addressSchema,
    role: sessionRoleSchema,
  })
  .meta({ description: 'A short-lived session token bound to a registered, approved entity.' });

/** The session of a verified token (e.g. the response of `GET /auth/session`). */
export const sessionSchema = z
  .object({
    address: addressSchema,
    role: sessionRoleSchema,
    expiresAt: instantSchema.meta({ description: 'When the token expires.' }),
    tokenId: z.string().meta({ description: 'The token `jti`.' }),
  })
  .meta({ description: 'The signed-in caller.' });

export type NonceResponse = z.infer<typeof nonceResponseSchema>;
export type MessageRequest = z.infer<typeof messageRequestSchema>;
export type MessageResponse = z.infer<typeof messageResponseSchema>;
export type SignInRequest = z.infer<typeof signInRequestSchema>;
export type SignInResponse = z.infer<typeof signInResponseSchema>;
export type SessionResponse = z.infer<typeof sessionSchema>;
