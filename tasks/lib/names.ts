/** Entity roles by name, in the contract's `EntityRole` order (None excluded). */
export const ENTITY_ROLES = { manufacturer: 1, owner: 2, security: 3 } as const;
/** Entity role names by value. */
export const ENTITY_ROLE_NAMES = ['none', 'manufacturer', 'owner', 'security'] as const;
/** Entity status names by value. */
export const ENTITY_STATUS_NAMES = ['none', 'pending', 'approved', 'revoked'] as const;
/** Twin state names by value, in the contract's `TwinState` order. */
export const TWIN_STATE_NAMES = ['active', 'suspended', 'unknown', 'deactivated', 'lost'] as const;

export type TwinStateName = (typeof TWIN_STATE_NAMES)[number];
