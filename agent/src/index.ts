/**
 * @twin-registry/agent: the device agent and the device simulator, as a library. The CLI is `twin-agent`.
 */
export * from './config';
export { agentConfigSchema, agentConfigShapeSchema } from './configSchema';
export * from './errors';
export * from './log';
export * from './identity/keyStore';
export * from './identity/sequenceStore';
export * from './device/deviceChannel';
export * from './commands/handleCommand';
export * from './commands/deviceCommands';
export * from './commands/ownerSource';
export * from './commands/replaySet';
export * from './commands/applyState';
export * from './actuators/driver';
export * from './actuators/gpioDriver';
export * from './actuators/createActuators';
export * from './transport/outbox';
export * from './transport/mqttPublisher';
export * from './collect/context';
export * from './collect/createCollector';
export * from './runAgent';
export * from './runSimulator';
