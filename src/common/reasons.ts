/**
 * Add (`on`) or remove `reason` in a short list of reasons (why input is held, why a link is not
 * read, …). A plain array rather than a Set: an empty one costs a few bytes where an empty Set
 * costs ~200 with its hash table, and a fleet holds thousands of these, nearly all empty.
 */
export function setReason<T>(reasons: T[], reason: T, on: boolean): void {
  const at = reasons.indexOf(reason);
  if (on && at < 0) reasons.push(reason);
  else if (!on && at >= 0) reasons.splice(at, 1);
}
