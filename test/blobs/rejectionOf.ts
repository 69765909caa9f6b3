import { expect } from 'chai';

/** Awaits `action` and returns what it rejected with; fails the test when it resolves. */
export async function rejectionOf(action: Promise<unknown> | (() => Promise<unknown>)): Promise<Error> {
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    return error as Error;
  }
  expect.fail('expected the call to reject');
}
