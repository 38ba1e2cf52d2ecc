import type { Args, JsonValue, ParamSpec } from './params.js';
import type { ControlTarget } from './target.js';

/**
 * One control verb: what a test, `a76xx ctl` or an inspector can do to a running modem, as a
 * function over one modem (the table is verbs.ts).
 */
export interface VerbSpec {
  readonly name: string;
  readonly summary: string;
  readonly params: readonly ParamSpec[];
  run(target: ControlTarget, args: Args): JsonValue | Promise<JsonValue>;
}
