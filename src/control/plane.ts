import { ControlError, checkArgs, type JsonObject, type JsonValue } from './params.js';
import type { ControlTarget } from './target.js';
import type { VerbSpec } from './verb.js';
import { VERBS, verbNamed } from './verbs.js';
import { errorMessage } from '../common/errors.js';

/**
 * The control plane: one API over emulated modems, used alike by the HTTP server (and through it
 * `a76xx ctl` and a web inspector) and by tests in process. Shaped for many modems in one process:
 * each has an id, and a call addresses one of them or `all`. A modem joins as a ControlTarget
 * (target.ts: `controlledModem()` builds one); the verbs are verbs.ts.
 */

/** Addresses every modem at once. */
export const ALL_MODEMS = 'all';

export type InvokeResult =
  | { readonly modem: string; readonly verb: string; readonly result: JsonValue }
  | { readonly verb: string; readonly results: { readonly [id: string]: { result: JsonValue } | { error: { code: string; message: string } } } };

export class ControlPlane {
  private readonly targets = new Map<string, ControlTarget>();

  add(target: ControlTarget): void {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(target.id) || target.id === ALL_MODEMS) {
      throw new Error(`bad modem id ${JSON.stringify(target.id)}`);
    }
    if (this.targets.has(target.id)) throw new Error(`modem ${target.id} is already registered`);
    this.targets.set(target.id, target);
  }

  remove(id: string): void {
    this.targets.delete(id);
  }

  get ids(): string[] {
    return [...this.targets.keys()];
  }

  target(id: string): ControlTarget {
    const target = this.targets.get(id);
    if (target === undefined) {
      throw new ControlError('unknown-modem', `no modem ${JSON.stringify(id)} (known: ${this.ids.join(', ') || 'none'})`);
    }
    return target;
  }

  get verbs(): readonly VerbSpec[] {
    return VERBS;
  }

  /**
   * Run `verb` with `args` (a JSON object; checked here) on modem `id`, or on every modem with
   * `all` (each modem's failure is reported in its own entry then).
   */
  async invoke(id: string, verb: string, args: unknown = {}): Promise<InvokeResult> {
    const spec = verbNamed(verb);
    const checked = checkArgs(spec.params, args);
    if (id !== ALL_MODEMS) return { modem: id, verb, result: await spec.run(this.target(id), checked) };
    const results: Record<string, { result: JsonValue } | { error: { code: string; message: string } }> = {};
    for (const target of this.targets.values()) {
      try {
        results[target.id] = { result: await spec.run(target, checked) };
      } catch (err) {
        const e = err instanceof ControlError ? err : new ControlError('internal', errorMessage(err));
        results[target.id] = { error: { code: e.code, message: e.message } };
      }
    }
    return { verb, results };
  }

  /** The modems, briefly (for listings). */
  list(): JsonObject[] {
    return [...this.targets.values()].map((t) => ({ id: t.id, dialect: t.modem.dialect.name, net: t.modem.state.ip.net }));
  }
}
