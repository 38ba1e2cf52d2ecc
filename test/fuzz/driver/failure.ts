/**
 * fast-check's failure report names the counterexample; the assertion that failed is its `cause`,
 * which the test runner does not print. `reported(() => fc.assert(…))` puts both in one message.
 */
export function reported<T>(run: () => T): T {
  try {
    const result = run();
    if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(withCause(error))) as T;
    return result;
  } catch (error) {
    throw withCause(error);
  }
}

function withCause(error: unknown): unknown {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause === undefined) return error;
  const detail = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
  return new Error(`${(error as Error).message}\n\nFailure: ${detail}`);
}
