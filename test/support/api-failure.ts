import { ApiError } from '../../src/volc/errors';

/** The ApiError a promise rejects with; any other outcome (resolving, another error) fails the test. */
export async function apiFailure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('resolved instead of rejecting with an ApiError');
}
