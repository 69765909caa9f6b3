export * from './recordAlert';
export * from './readAlerts';
