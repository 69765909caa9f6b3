export * from './insertNotification';
export * from './notificationsFor';
