/**
 * Parameters of control verbs: declared once per verb, checked the same way whether they come as
 * a JSON object (the HTTP API) or as command-line words (`a76xx ctl csq 12 0`).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type ParamValue = string | number | boolean;

interface ParamBase {
  readonly name: string;
  readonly help: string;
  /** May be left out. */
  readonly optional?: boolean;
  /** Only as `--name VALUE` on the command line, never positional. */
  readonly option?: boolean;  /** How the value reads in usage lines (default: the name in capitals). */
  readonly placeholder?: string;
}

/** An integer in [min, max], or one of `also` (e.g. 99 "unknown"), or one of `words`. */
export interface IntParam extends ParamBase {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  readonly also?: readonly number[];
  readonly words?: readonly string[];
}

export interface ChoiceParam extends ParamBase {
  readonly kind: 'choice';
  readonly choices: readonly string[];
}

/** `on`/`off` on the command line, true/false (or "on"/"off") in JSON. */
export interface SwitchParam extends ParamBase {
  readonly kind: 'switch';
}

export interface TextParam extends ParamBase {
  readonly kind: 'text';
  readonly maxLength: number;
  /** On the command line, takes every remaining word (joined by single spaces). */
  readonly rest?: boolean;
}

export type ParamSpec = IntParam | ChoiceParam | SwitchParam | TextParam;

/** Why a request or its arguments were refused. */
export type ControlErrorCode =
  | 'bad-request'
  | 'bad-args'
  | 'unauthorized'
  | 'unknown-verb'
  | 'unknown-modem'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'unsupported'
  | 'too-large'
  | 'internal';

export const HTTP_STATUS: Readonly<Record<ControlErrorCode, number>> = {
  'bad-request': 400,
  'bad-args': 400,
  unauthorized: 401,
  'unknown-verb': 404,
  'unknown-modem': 404,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'too-large': 413,
  unsupported: 501,
  internal: 500,
};

export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

const badArgs = (message: string): ControlError => new ControlError('bad-args', message);

/** The checked arguments of one call. */
export class Args {
  constructor(private readonly values: Readonly<Record<string, ParamValue>>) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  int(name: string): number {
    const v = this.values[name];
    if (typeof v !== 'number') throw new Error(`argument ${name} is not a number`);
    return v;
  }

  optionalInt(name: string): number | undefined {
    return this.has(name) ? this.int(name) : undefined;
  }

  /** An int param that may also be one of its words. */
  intOrWord(name: string): number | string {
    const v = this.values[name];
    if (typeof v !== 'number' && typeof v !== 'string') throw new Error(`argument ${name} is missing`);
    return v;
  }

  text(name: string): string {
    const v = this.values[name];
    if (typeof v !== 'string') throw new Error(`argument ${name} is not text`);
    return v;
  }

  optionalText(name: string): string | undefined {
    return this.has(name) ? this.text(name) : undefined;
  }

  flag(name: string): boolean {
    const v = this.values[name];
    if (typeof v !== 'boolean') throw new Error(`argument ${name} is not on/off`);
    return v;
  }

  toJson(): JsonObject {
    return { ...this.values };
  }
}

/** How a param reads in usage lines: `RSSI`, `[BER]`, `home|roaming`, `[--timing held|now]`. */
export function usageOf(spec: ParamSpec): string {
  let value: string;
  switch (spec.kind) {
    case 'int':
      value = [spec.placeholder ?? spec.name.toUpperCase(), ...(spec.words ?? [])].join('|');
      break;
    case 'choice':
      value = spec.choices.join('|');
      break;
    case 'switch':
      value = 'on|off';
      break;
    case 'text':
      value = `${spec.placeholder ?? spec.name.toUpperCase()}${spec.rest ? '...' : ''}`;
      break;
  }
  if (spec.option) value = `--${spec.name} ${value}`;
  return spec.optional || spec.option ? `[${value}]` : value;
}

/** Check a JSON object of arguments against the specs. */
export function checkArgs(specs: readonly ParamSpec[], input: unknown): Args {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) throw badArgs('arguments must be a JSON object');
  const given = input as Record<string, unknown>;
  const known = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw badArgs(`unknown argument '${key}'${specs.length > 0 ? ` (expected ${specs.map((s) => s.name).join(', ')})` : ' (this verb takes none)'}`);
    }
  }
  const values: Record<string, ParamValue> = {};
  for (const spec of specs) {
    const raw = given[spec.name];
    if (raw === undefined || raw === null) {
      if (!spec.optional && !spec.option) throw badArgs(`missing ${spec.name}: ${spec.help}`);
      continue;
    }
    values[spec.name] = checkOne(spec, raw);
  }
  return new Args(values);
}

function checkOne(spec: ParamSpec, raw: unknown): ParamValue {
  switch (spec.kind) {
    case 'int': {
      if (typeof raw === 'string' && spec.words?.includes(raw)) return raw;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
      const inRange = Number.isInteger(n) && ((n >= spec.min && n <= spec.max) || (spec.also ?? []).includes(n));
      if (!inRange) throw badArgs(`${spec.name} must be ${describeInt(spec)}, not ${JSON.stringify(raw)}`);
      return n;
    }
    case 'choice':
      if (typeof raw !== 'string' || !spec.choices.includes(raw)) {
        throw badArgs(`${spec.name} must be one of ${spec.choices.join(', ')}, not ${JSON.stringify(raw)}`);
      }
      return raw;
    case 'switch':
      if (raw === true || raw === 'on') return true;
      if (raw === false || raw === 'off') return false;
      throw badArgs(`${spec.name} must be on or off, not ${JSON.stringify(raw)}`);
    case 'text':
      if (typeof raw !== 'string' || raw.length === 0) throw badArgs(`${spec.name} must be a non-empty string`);
      if (raw.length > spec.maxLength) throw badArgs(`${spec.name} is longer than ${spec.maxLength} characters`);
      if (/[^\x00-\xff]/.test(raw)) throw badArgs(`${spec.name} must be Latin-1 text (the AT line carries bytes)`);
      return raw;
  }
}

function describeInt(spec: IntParam): string {
  const parts = [`an integer ${spec.min}-${spec.max}`, ...(spec.also ?? []).map(String), ...(spec.words ?? [])];
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

/**
 * Command-line words to a JSON object of arguments: positionals fill the params in order (a
 * `rest` text takes all that remain); `--name VALUE` or `--name=VALUE` sets any param by name;
 * after `--` every word is positional. Values stay strings: `checkArgs` converts them.
 */
export function wordsToArgs(specs: readonly ParamSpec[], words: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  const positional: string[] = [];
  let optionsDone = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!optionsDone && word === '--') {
      optionsDone = true;
      continue;
    }
    const option = optionsDone ? null : /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(word);
    if (option === null) {
      positional.push(word);
      continue;
    }
    const name = option[1] as string;
    if (!specs.some((s) => s.name === name)) {
      throw badArgs(`unknown option --${name}${specs.length > 0 ? ` (this verb takes ${specs.map(usageOf).join(' ')})` : ' (this verb takes no arguments)'}`);
    }
    let value = option[2];
    if (value === undefined) {
      value = words[++i];
      if (value === undefined) throw badArgs(`--${name} needs a value`);
    }
    result[name] = value;
  }
  const slots = specs.filter((s) => !s.option && result[s.name] === undefined);
  for (const spec of slots) {
    if (positional.length === 0) break;
    result[spec.name] = spec.kind === 'text' && spec.rest ? positional.splice(0).join(' ') : (positional.shift() as string);
  }
  if (positional.length > 0) throw badArgs(`too many arguments: ${positional.map((w) => JSON.stringify(w)).join(' ')}`);
  return result;
}
