export * from './createStoreFeed';
