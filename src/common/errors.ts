/**
 * What was thrown, as an Error. JavaScript lets anything be thrown (a string, a number, a
 * rejected promise's reason); every catch in this codebase goes through these so a caller always
 * gets an `Error` with a message, and a log line always has text.
 */

/** `thrown` itself when it is an Error, else an Error whose message is its text. */
export function toError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** The message of what was thrown, for an error text or a reply. */
export function errorMessage(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/** The stack (or message) of what was thrown, for a log line about an internal fault. */
export function errorDetail(thrown: unknown): string {
  return thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
}
