import { expect } from 'vitest';
import { DataError } from './errors.ts';

/** The DataError `fn` throws; fails the test when it throws nothing or something else. */
export function thrownDataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected a DataError');
}

/** The DataError `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function rejectedDataError(promise: Promise<unknown>): Promise<DataError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DataError);
  return err as DataError;
}
