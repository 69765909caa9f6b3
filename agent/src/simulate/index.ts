/**
 * The device simulator (issue 3, seed 000's network-behaviour modelling at seed 003's scale): virtual devices with
 * their own identities and keys, producing labelled telemetry and snapshots for the normal baseline and the seven
 * abnormal behaviours, deterministically from a seed.
 *
 * @example
 * import { createSimulation, signSimulated } from './simulate'
 * const simulation = createSimulation({ devices: 10, ratePerSecond: 1, snapshotIntervalSeconds: 30, scenario: 'mixed', seed: 1, startTimeMs: 0 })
 * const messages = simulation.step(5_000).map((m) => signSimulated(simulation.devices[m.deviceIndex]!, m, 0))
 */
export * from './rng';
export * from './behaviours';
export * from './network';
export * from './device';
export { SIMULATED_MANUFACTURERS } from './catalog';
export { sampleHostLoad, sampleSensors, buildTelemetry, type HostLoad } from './telemetry';
export { buildSnapshot } from './snapshot';
export type { Counters, Owner, SnapshotContext } from './context';
export * from './createSimulation';
export * from './sign';
