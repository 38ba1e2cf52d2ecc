/**
 * AT command-line syntax (spec §1.2): what follows the `AT` prefix, split into commands.
 *
 *   basic      E1  V0  Q0  X1  I  Z  O  &F  &D2
 *   S-register S0=1  S7?  S0=?  S0 (the default)
 *   extended   +NAME  +NAME?  +NAME=?  +NAME=<p1>,<p2>,…   separated by `;`
 *
 * Names are case-insensitive (normalised to upper case); quoted strings keep their case.
 */

export type CommandForm = 'exec' | 'read' | 'test' | 'set';

/** One parameter as written: empty (`,,`), a quoted string, or a bare token (trimmed). */
export type Param =
  | { readonly kind: 'empty' }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bare'; readonly value: string };

export interface AtCommand {
  /** Upper-case name with its prefix: `+CIPOPEN`, `E`, `&D`, `S0`. */
  readonly name: string;
  readonly form: CommandForm;
  readonly params: readonly Param[];
  /** The command's text as written (for diagnostics). */
  readonly text: string;
}

export class SyntaxError extends Error {
  override readonly name = 'AtSyntaxError';
}

const EXTENDED_PREFIXES = new Set(['+', '*', '$', '^']);
const isLetter = (c: string): boolean => /^[A-Za-z]$/.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isNameChar = (c: string): boolean => /^[A-Za-z0-9_]$/.test(c);

/**
 * Parse the body of a command line (the text after `AT`, without the terminating `<CR>`).
 * An empty body is a plain `AT`: no commands.
 */
export function parseCommandLine(line: string): AtCommand[] {
  const body = withoutIgnoredSpaces(line);
  const commands: AtCommand[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body.charAt(i);
    if (c === ';' || c === ' ') {
      i++;
      continue;
    }
    const start = i;
    if (EXTENDED_PREFIXES.has(c)) {
      i++;
      while (i < body.length && isNameChar(body.charAt(i))) i++;
      if (i === start + 1) throw new SyntaxError(`empty extended command name at ${start}`);
      const name = body.slice(start, i).toUpperCase();
      const end = findCommandEnd(body, i);
      const rest = body.slice(i, end);
      commands.push(extended(name, rest, body.slice(start, end)));
      i = end;
      continue;
    }
    if (c === '&') {
      const letter = body.charAt(i + 1);
      if (!isLetter(letter)) throw new SyntaxError(`bad & command at ${start}`);
      i += 2;
      const digitsStart = i;
      while (i < body.length && isDigit(body.charAt(i))) i++;
      commands.push(basic(`&${letter.toUpperCase()}`, body.slice(digitsStart, i), body.slice(start, i)));
      continue;
    }
    if (c === 'S' || c === 's') {
      i++;
      const regStart = i;
      while (i < body.length && isDigit(body.charAt(i))) i++;
      if (i === regStart) throw new SyntaxError(`S register number missing at ${start}`);
      const name = `S${Number(body.slice(regStart, i))}`;
      if (body.charAt(i) === '?') {
        i++;
        commands.push({ name, form: 'read', params: [], text: body.slice(start, i) });
      } else if (body.startsWith('=?', i)) {
        i += 2;
        commands.push({ name, form: 'test', params: [], text: body.slice(start, i) });
      } else if (body.charAt(i) === '=') {
        i++;
        const valueStart = i;
        while (i < body.length && isDigit(body.charAt(i))) i++;
        const value = body.slice(valueStart, i);
        commands.push({
          name,
          form: 'set',
          params: [value === '' ? { kind: 'empty' } : { kind: 'bare', value }],
          text: body.slice(start, i),
        });
      } else {
        // `ATS<n>` alone assigns the default value (A76XX manual §1.5.2).
        commands.push({ name, form: 'set', params: [{ kind: 'empty' }], text: body.slice(start, i) });
      }
      continue;
    }
    if (isLetter(c)) {
      i++;
      const digitsStart = i;
      while (i < body.length && isDigit(body.charAt(i))) i++;
      commands.push(basic(c.toUpperCase(), body.slice(digitsStart, i), body.slice(start, i)));
      continue;
    }
    throw new SyntaxError(`unexpected ${JSON.stringify(c)} at ${start}`);
  }
  return commands;
}

/** The separators around which V.250 ignores spaces (and the ends of the line). */
const SEPARATORS = new Set(['?', '=', ';', ',']);

/**
 * The body without the spaces V.250 lets a host put outside quoted strings: at either end of the
 * line and around `?`, `=`, `;` and `,` (`AT+COPS? `, `AT+CSQ ;+CREG?`, `AT+CIPOPEN = 0 , "TCP"`).
 * A space between two other characters (`ATE0 V1`) stays: it separates basic commands, and inside
 * a bare value (`12 34`) it is not a number.
 */
export function withoutIgnoredSpaces(body: string): string {
  if (!body.includes(' ')) return body;
  let out = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c === '"') quoted = !quoted;
    if (c !== ' ' || quoted) {
      out += c;
      continue;
    }
    let next = i + 1;
    while (body.charAt(next) === ' ') next++;
    const before = out.charAt(out.length - 1);
    const after = body.charAt(next);
    if (out === '' || after === '' || SEPARATORS.has(before) || SEPARATORS.has(after)) continue;
    out += c;
  }
  return out;
}

function basic(name: string, digits: string, text: string): AtCommand {
  if (digits === '') return { name, form: 'exec', params: [], text };
  return { name, form: 'set', params: [{ kind: 'bare', value: digits }], text };
}

/** The index of the `;` that ends an extended command (outside quotes), or the end of the body. */
function findCommandEnd(body: string, from: number): number {
  let quoted = false;
  for (let i = from; i < body.length; i++) {
    const c = body.charAt(i);
    if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) return i;
  }
  if (quoted) throw new SyntaxError('unterminated quoted string');
  return body.length;
}

function extended(name: string, rest: string, text: string): AtCommand {
  if (rest === '') return { name, form: 'exec', params: [], text };
  if (rest === '?') return { name, form: 'read', params: [], text };
  if (rest === '=?') return { name, form: 'test', params: [], text };
  if (rest.startsWith('=')) return { name, form: 'set', params: parseParams(rest.slice(1)), text };
  throw new SyntaxError(`unexpected ${JSON.stringify(rest)} after ${name}`);
}

/** Split a parameter list on commas outside quotes. `1,"UDP",,,5000` → 5 params. */
export function parseParams(list: string): Param[] {
  const params: Param[] = [];
  let i = 0;
  for (;;) {
    while (list.charAt(i) === ' ') i++;
    if (list.charAt(i) === '"') {
      const close = list.indexOf('"', i + 1);
      if (close < 0) throw new SyntaxError('unterminated quoted string');
      params.push({ kind: 'string', value: list.slice(i + 1, close) });
      i = close + 1;
      while (list.charAt(i) === ' ') i++;
      if (i < list.length && list.charAt(i) !== ',') {
        throw new SyntaxError(`text after quoted string: ${JSON.stringify(list.slice(i))}`);
      }
    } else {
      const comma = list.indexOf(',', i);
      const end = comma < 0 ? list.length : comma;
      const token = list.slice(i, end).trim();
      if (token.includes('"')) throw new SyntaxError(`stray quote in ${JSON.stringify(token)}`);
      params.push(token === '' ? { kind: 'empty' } : { kind: 'bare', value: token });
      i = end;
    }
    if (i >= list.length) return params;
    i++; // the comma
  }
}
