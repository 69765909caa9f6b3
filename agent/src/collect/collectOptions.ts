import type { AgentConfig } from '../config';
import type { CollectOptions } from './context';

/** What the collectors need, from the agent configuration. */
export function collectOptionsFromConfig(config: AgentConfig, now: () => number = Date.now): CollectOptions {
  return {
    paths: { proc: config.procRoot, sys: config.sysRoot, etc: config.etcRoot, dev: config.devRoot },
    probeTimeoutMs: config.probeTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    processLimit: config.processLimit,
    socketLimit: config.socketLimit,
    sharedLibrariesProcessLimit: config.sharedLibrariesProcessLimit,
    kernelLogLines: config.kernelLogLines,
    tlsServers: config.tlsServers,
    sensorPlugins: config.sensors,
    owner: { ownerId: config.ownerId, location: config.location },
    capture: {
      mode: config.captureMode,
      command: config.captureCommand,
      interface: config.captureInterface,
      snaplenBytes: config.captureSnaplenBytes,
      maxPacketsPerSec: config.captureMaxPacketsPerSec,
      includeLoopback: config.captureIncludeLoopback,
      maxFlows: config.captureMaxFlows,
      maxRecords: config.captureMaxRecords,
      burstGapMs: config.captureBurstGapMs,
      flowLimit: config.flowLimit,
    },
    now,
  };
}
