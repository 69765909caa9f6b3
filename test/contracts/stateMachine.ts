import type { ContractTransactionResponse } from 'ethers';
import { ethers } from 'hardhat';
import type { ownedFixture } from '../fixtures';

/**
 * The twin state machine as one table: every action × every state, what the action does there when the caller is
 * the one allowed to act. `TwinRegistry.stateMachine.test.ts` runs each cell against the contract, and checks that
 * README.md's table says exactly this.
 */

export const STATES = ['Active', 'Suspended', 'Unknown', 'Lost', 'Deactivated'] as const;
export type StateName = (typeof STATES)[number];
export const STATE_VALUE: Record<StateName, number> = {
  Active: 0,
  Suspended: 1,
  Unknown: 2,
  Deactivated: 3,
  Lost: 4,
};

export type Fixture = Awaited<ReturnType<typeof ownedFixture>>;

/** What an allowed caller's action does to a twin in a given state. */
export type Outcome =
  /** The state changes to `to` (`'previous'`: the state before Lost), with a TwinStateChanged event. */
  | { to: StateName | 'previous' }
  /** Nothing changes and no event is emitted. */
  | { noop: true }
  /** The action succeeds and emits `event`; the state stays. */
  | { ok: string }
  /** The action reverts with this TwinRegistry error (name without the `TwinRegistry` prefix). */
  | { error: string; args: (fixture: Fixture, state: StateName) => unknown[] };

/** One row of the table. */
export type Action = {
  /** The README's label of the action. */
  label: string;
  /** Who may do it (the README's second column). */
  who: string;
  /** Runs before the twin is moved into the state (e.g. a listing the state change may end). */
  before?: (fixture: Fixture) => Promise<unknown>;
  /** Runs once the twin is in the state, when the state allows it (e.g. the update a review needs). */
  after?: (fixture: Fixture, state: StateName) => Promise<unknown>;
  /** The allowed caller's call. */
  run: (fixture: Fixture) => Promise<ContractTransactionResponse>;
  cells: Record<StateName, Outcome>;
  /** What the README says in a cell where it says more than the outcome. */
  notes?: Partial<Record<StateName, string>>;
};

const PRICE = ethers.parseEther('1');
const NEW_SIGNER = new ethers.Wallet(ethers.id('rotated device key')).address;
const id = (fixture: Fixture) => fixture.twin.deviceId;
const stateOf = (state: StateName) => STATE_VALUE[state];

const deactivated = { error: 'TwinDeactivated', args: (f: Fixture) => [id(f)] } as const;
const notActive = { error: 'TwinNotActive', args: (f: Fixture, s: StateName) => [id(f), stateOf(s)] } as const;
const securityRefused = (target: StateName) =>
  ({
    error: 'InvalidStateTransition',
    args: (f: Fixture, s: StateName) => [id(f), stateOf(s), stateOf(target)],
  } as const);

function setState(target: StateName, cells: Record<StateName, Outcome>): Action {
  return {
    label: `setState(${target})`,
    who: 'approved security entity',
    run: (f) => f.twins.connect(f.security).setState(id(f), stateOf(target), 'bafy-evidence'),
    cells,
  };
}

export const ACTIONS: Action[] = [
  setState('Active', {
    Active: { noop: true },
    Suspended: { to: 'Active' },
    Unknown: { to: 'Active' },
    Lost: securityRefused('Active'),
    Deactivated: deactivated,
  }),
  setState('Suspended', {
    Active: { to: 'Suspended' },
    Suspended: { noop: true },
    Unknown: { to: 'Suspended' },
    Lost: securityRefused('Suspended'),
    Deactivated: deactivated,
  }),
  setState('Unknown', {
    Active: { to: 'Unknown' },
    Suspended: { to: 'Unknown' },
    Unknown: { noop: true },
    Lost: securityRefused('Unknown'),
    Deactivated: deactivated,
  }),
  setState('Lost', {
    Active: securityRefused('Lost'),
    Suspended: securityRefused('Lost'),
    Unknown: securityRefused('Lost'),
    Lost: securityRefused('Lost'),
    Deactivated: deactivated,
  }),
  setState('Deactivated', {
    Active: securityRefused('Deactivated'),
    Suspended: securityRefused('Deactivated'),
    Unknown: securityRefused('Deactivated'),
    Lost: securityRefused('Deactivated'),
    Deactivated: deactivated,
  }),
  {
    label: 'reportLost',
    who: 'owner',
    run: (f) => f.twins.connect(f.owner).reportLost(id(f), 'stolen'),
    cells: {
      Active: { to: 'Lost' },
      Suspended: { to: 'Lost' },
      Unknown: { to: 'Lost' },
      Lost: { noop: true },
      Deactivated: deactivated,
    },
  },
  {
    label: 'reportFound',
    who: 'owner or admin',
    run: (f) => f.twins.connect(f.owner).reportFound(id(f), 'found'),
    cells: {
      Active: { error: 'TwinNotLost', args: (f, s) => [id(f), stateOf(s)] },
      Suspended: { error: 'TwinNotLost', args: (f, s) => [id(f), stateOf(s)] },
      Unknown: { error: 'TwinNotLost', args: (f, s) => [id(f), stateOf(s)] },
      Lost: { to: 'previous' },
      Deactivated: deactivated,
    },
    notes: { Lost: '→ the state it was lost in' },
  },
  {
    label: 'deactivate',
    who: 'owner or admin',
    run: (f) => f.twins.connect(f.owner).deactivate(id(f), 'end of life'),
    cells: {
      Active: { to: 'Deactivated' },
      Suspended: { to: 'Deactivated' },
      Unknown: { to: 'Deactivated' },
      Lost: { to: 'Deactivated' },
      Deactivated: deactivated,
    },
  },
  {
    label: 'list',
    who: 'owner',
    run: (f) => f.twins.connect(f.owner).list(id(f), PRICE),
    cells: {
      Active: { ok: 'TwinListed' },
      Suspended: notActive,
      Unknown: notActive,
      Lost: notActive,
      Deactivated: notActive,
    },
  },
  {
    label: 'delist',
    who: 'owner',
    before: (f) => f.twins.connect(f.owner).list(id(f), PRICE),
    run: (f) => f.twins.connect(f.owner).delist(id(f)),
    cells: {
      Active: { ok: 'TwinDelisted' },
      Suspended: { error: 'NotForSale', args: (f) => [id(f)] },
      Unknown: { error: 'NotForSale', args: (f) => [id(f)] },
      Lost: { error: 'NotForSale', args: (f) => [id(f)] },
      Deactivated: { error: 'NotForSale', args: (f) => [id(f)] },
    },
  },
  {
    label: 'buy / buyWithBalance',
    who: 'approved owner, not the seller; the seller approved',
    before: (f) => f.twins.connect(f.owner).list(id(f), PRICE),
    run: (f) => f.twins.connect(f.secondOwner).buy(id(f), { value: PRICE }),
    cells: {
      Active: { ok: 'TwinPurchased' },
      Suspended: notActive,
      Unknown: notActive,
      Lost: notActive,
      Deactivated: notActive,
    },
    notes: { Active: '✓ when listed' },
  },
  {
    label: 'transferFrom / safeTransferFrom',
    who: 'owner or its operator, to an approved entity (all three approved)',
    run: (f) => f.twins.connect(f.owner).transferFrom(f.owner.address, f.secondOwner.address, id(f)),
    cells: {
      Active: { ok: 'Transfer' },
      Suspended: { ok: 'Transfer' },
      Unknown: { ok: 'Transfer' },
      Lost: { ok: 'Transfer' },
      Deactivated: deactivated,
    },
  },
  {
    label: 'approve / setApprovalForAll',
    who: 'owner (or operator for approve)',
    run: (f) => f.twins.connect(f.owner).approve(f.secondOwner.address, id(f)),
    cells: {
      Active: { ok: 'Approval' },
      Suspended: { ok: 'Approval' },
      Unknown: { ok: 'Approval' },
      Lost: { ok: 'Approval' },
      Deactivated: { ok: 'Approval' },
    },
    notes: { Deactivated: '✓ (the twin cannot move)' },
  },
  {
    label: 'recordUpdate',
    who: 'owner',
    run: (f) => f.twins.connect(f.owner).recordUpdate(id(f), 'openssl', '3.0.15', ethers.ZeroHash, ''),
    cells: {
      Active: { ok: 'DeviceUpdateRecorded' },
      Suspended: { ok: 'DeviceUpdateRecorded' },
      Unknown: { ok: 'DeviceUpdateRecorded' },
      Lost: { ok: 'DeviceUpdateRecorded' },
      Deactivated: deactivated,
    },
    notes: { Suspended: '✓ (counts towards the review)' },
  },
  {
    label: 'setDeviceSigner',
    who: 'owner',
    run: (f) => f.twins.connect(f.owner).setDeviceSigner(id(f), NEW_SIGNER),
    cells: {
      Active: { ok: 'DeviceSignerChanged' },
      Suspended: { error: 'SignerNotApproved', args: (f) => [id(f), NEW_SIGNER] },
      Unknown: { ok: 'DeviceSignerChanged' },
      Lost: { ok: 'DeviceSignerChanged' },
      Deactivated: deactivated,
    },
    notes: {
      Suspended: '✗ `SignerNotApproved`, unless a security entity approved that signer',
      Lost: '✓ unless lost Suspended',
    },
  },
  {
    label: 'approveDeviceSigner',
    who: 'approved security entity',
    run: (f) => f.twins.connect(f.security).approveDeviceSigner(id(f), NEW_SIGNER),
    cells: {
      Active: { error: 'TwinNotSuspended', args: (f, s) => [id(f), stateOf(s)] },
      Suspended: { ok: 'DeviceSignerApproved' },
      Unknown: { error: 'TwinNotSuspended', args: (f, s) => [id(f), stateOf(s)] },
      Lost: { error: 'TwinNotSuspended', args: (f, s) => [id(f), stateOf(s)] },
      Deactivated: { error: 'TwinNotSuspended', args: (f, s) => [id(f), stateOf(s)] },
    },
  },
  {
    label: 'requestReview',
    who: 'owner',
    after: (f, state) =>
      state === 'Deactivated'
        ? Promise.resolve()
        : f.twins.connect(f.owner).recordUpdate(id(f), 'firmware', '2.1', ethers.ZeroHash, ''),
    run: (f) => f.twins.connect(f.owner).requestReview(id(f), 'patched'),
    cells: {
      Active: { error: 'ReviewNotAllowed', args: (f, s) => [id(f), stateOf(s), 1] },
      Suspended: { ok: 'ReviewRequested' },
      Unknown: { error: 'ReviewNotAllowed', args: (f, s) => [id(f), stateOf(s), 1] },
      Lost: { error: 'ReviewNotAllowed', args: (f, s) => [id(f), stateOf(s), 1] },
      Deactivated: { error: 'ReviewNotAllowed', args: (f, s) => [id(f), stateOf(s), 0] },
    },
    notes: { Suspended: '✓ after an update recorded since the suspension' },
  },
  {
    label: 'dispute',
    who: 'registrar',
    run: (f) => f.twins.connect(f.admin).dispute(id(f), 'minted in error'),
    cells: {
      Active: { ok: 'TwinDisputed' },
      Suspended: { ok: 'TwinDisputed' },
      Unknown: { ok: 'TwinDisputed' },
      Lost: { ok: 'TwinDisputed' },
      Deactivated: { ok: 'TwinDisputed' },
    },
    notes: {
      Active: '✓ burned',
      Suspended: '✓ burned',
      Unknown: '✓ burned',
      Lost: '✓ burned',
      Deactivated: '✓ burned',
    },
  },
];

/** The README text of a cell. */
export function cellText(action: Action, state: StateName): string {
  const note = action.notes?.[state];
  if (note !== undefined) return note;
  const outcome = action.cells[state];
  if ('to' in outcome) return `→ ${outcome.to}`;
  if ('noop' in outcome) return 'no-op';
  if ('ok' in outcome) return '✓';
  return `✗ \`${outcome.error}\``;
}

/**
 * Moves the owned twin (Active, owned by `fixture.owner`) into `state`: a security entity suspends it or sets it
 * Unknown, the owner reports it lost or deactivates it.
 */
export async function enterState(fixture: Fixture, state: StateName): Promise<void> {
  const { twins, owner, security, twin } = fixture;
  if (state === 'Suspended') await twins.connect(security).setState(twin.deviceId, STATE_VALUE.Suspended, 'bafy-ev');
  if (state === 'Unknown') await twins.connect(security).setState(twin.deviceId, STATE_VALUE.Unknown, 'no data');
  if (state === 'Lost') await twins.connect(owner).reportLost(twin.deviceId, 'left on a train');
  if (state === 'Deactivated') await twins.connect(owner).deactivate(twin.deviceId, 'retired');
}
