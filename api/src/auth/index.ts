export {
  createSiweAuth,
  type CreateSiweAuthParameters,
  type IssueNonceReturnType,
  type MessageForParameters,
  type SignInParameters,
  type SignInReturnType,
  type SiweAuth,
  type VerifyTokenReturnType,
} from './createSiweAuth';
export { getSession, type RequireSessionParameters } from './requireSession';
export { assertSessionRole, hasSessionRole, isSessionRole, sessionRoles } from './sessionRole';
export { formatSiweMessage, type FormatSiweMessageParameters } from './formatSiweMessage';
export { parseSiweMessage, maxSiweMessageBytes, type ParsedSiweMessage } from './parseSiweMessage';
export * from './authSchemas';
export type { EntityRecord, EntityRole, EntityStatus, LookupEntity, Session, SessionRole } from './types';
