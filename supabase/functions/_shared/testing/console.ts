// Tests that provoke errors a function logs: what is logged is checked (withConsoleError) or kept
// out of the test output (quietly), and console.error is restored afterwards whatever happens.

/** Runs `fn` while console.error calls `onError` instead; restores console.error after. */
export async function withConsoleError<T>(
  onError: typeof console.error,
  fn: () => T | Promise<T>,
): Promise<T> {
  const original = console.error;
  console.error = onError;
  try {
    return await fn();
  } finally {
    console.error = original;
  }
}

/** Runs `fn` with console.error silenced: the errors it logs are expected. */
export const quietly = <T>(fn: () => T | Promise<T>): Promise<T> => withConsoleError(() => {}, fn);
