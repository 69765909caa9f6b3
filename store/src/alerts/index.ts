export * from './recordAlert';
export * from './readAlerts';
export * from './acknowledgeAlert';
