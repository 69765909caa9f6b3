// The API's relayer budgets (issue 15): gas and requests per entity and window, shared by every API instance.
export {
  MAX_RELAY_BUDGET_WINDOW_SECONDS,
  MAX_RELAY_RESERVATION_SECONDS,
  type RelayBudgetPolicy,
  type RelayBudgetReservation,
  type RelayBudgetStanding,
} from './types';
export * from './reserveRelayBudget';
export * from './settleRelayBudget';
export * from './releaseRelayBudget';
export * from './relayBudgetStanding';
export * from './pruneRelayBudgets';
