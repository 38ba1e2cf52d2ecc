import type { Param } from './syntax.js';

/** A parameter that is missing, of the wrong kind or out of range. Handlers turn it into the module's error. */
export class ParamError extends Error {
  override readonly name = 'ParamError';
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

export interface IntRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Typed access to a command's parameters. Every accessor throws ParamError on bad input, so a
 * handler reads its parameters first and lets the dispatcher turn the error into `ERROR`.
 */
export class Params {
  constructor(readonly list: readonly Param[]) {}

  get count(): number {
    return this.list.length;
  }

  /** True when parameter `i` is absent or written empty (`,,`). */
  isEmpty(i: number): boolean {
    const p = this.list[i];
    return p === undefined || p.kind === 'empty';
  }

  /** Fail when more than `max` parameters were given. */
  atMost(max: number): this {
    if (this.list.length > max) throw new ParamError(`at most ${max} parameters`, max);
    return this;
  }

  /** A decimal integer in range; `fallback` when empty (required when no fallback is given). */
  int(i: number, range: IntRange, fallback?: number): number {
    const p = this.list[i];
    if (p === undefined || p.kind === 'empty') {
      if (fallback === undefined) throw new ParamError(`parameter ${i + 1} missing`, i);
      return fallback;
    }
    if (p.kind !== 'bare' || !/^[0-9]{1,10}$/.test(p.value)) {
      throw new ParamError(`parameter ${i + 1} is not a number`, i);
    }
    const n = Number(p.value);
    if (n < range.min || n > range.max) {
      throw new ParamError(`parameter ${i + 1} out of range ${range.min}-${range.max}`, i);
    }
    return n;
  }

  /** An integer that may be negative (e.g. `-1`), in range. */
  signedInt(i: number, range: IntRange, fallback?: number): number {
    const p = this.list[i];
    if (p !== undefined && p.kind === 'bare' && /^-[0-9]{1,10}$/.test(p.value)) {
      const n = Number(p.value);
      if (n < range.min || n > range.max) throw new ParamError(`parameter ${i + 1} out of range`, i);
      return n;
    }
    return this.int(i, range, fallback);
  }

  /** A quoted string; `fallback` when empty (required otherwise). */
  quoted(i: number, fallback?: string): string {
    const p = this.list[i];
    if (p === undefined || p.kind === 'empty') {
      if (fallback === undefined) throw new ParamError(`parameter ${i + 1} missing`, i);
      return fallback;
    }
    if (p.kind !== 'string') throw new ParamError(`parameter ${i + 1} must be quoted`, i);
    return p.value;
  }

  /** A string written quoted or bare (modules accept both for some parameters, e.g. ON/OFF). */
  text(i: number, fallback?: string): string {
    const p = this.list[i];
    if (p === undefined || p.kind === 'empty') {
      if (fallback === undefined) throw new ParamError(`parameter ${i + 1} missing`, i);
      return fallback;
    }
    return p.value;
  }

  /** One of the given words (case-insensitive, quoted or bare); returns the canonical spelling. */
  oneOf<T extends string>(i: number, words: readonly T[]): T {
    const value = this.text(i).toUpperCase();
    const found = words.find((w) => w.toUpperCase() === value);
    if (found === undefined) throw new ParamError(`parameter ${i + 1} must be one of ${words.join('/')}`, i);
    return found;
  }
}
