import { escapeBytes, unescapeBytes } from './escape.js';

/**
 * Golden transcripts: what the host sends and what the module prints, byte for byte, as text.
 *
 *   # comment                       ignored, as are blank lines
 *   @echo on | off                  from here on, each `>` line also expects its echo `<text>\r`
 *   > AT+CSQ                        host sends `AT+CSQ\r`
 *   >> HELLO\x1A                    host sends exactly these bytes
 *   < +CSQ: 20,99                   module prints `\r\n+CSQ: 20,99\r\n` (a URC or a response's first line)
 *   <+ +CREG: 0,1                   module prints `+CREG: 0,1\r\n` (a further line of the same response)
 *   << \r\n>                        module prints exactly these bytes (echo, prompt, data)
 *   ! verb arg …                    an action of the test (wait, a peer sends, …)
 *
 * Texts use the escapes of `escapeBytes` (`\r`, `\n`, `\xNN`, `\\`) and `${NAME}` variables.
 *
 * A `>` line ends with the host's line terminator: `<CR>` by default, `<CR><LF>` with
 * `{ terminator: 'crlf' }` (its echo is still `<text><CR>`: the module does not echo the LF), so
 * one transcript checks both kinds of host.
 */
export type LineTerminator = 'cr' | 'crlf';

export interface TranscriptOptions {
  /** What ends each `>` line (default `cr`). */
  readonly terminator?: LineTerminator;
}

/** Both terminators, for tests that run a transcript once with each. */
export const LINE_TERMINATORS: readonly LineTerminator[] = ['cr', 'crlf'];
export type TranscriptStep =
  | { readonly kind: 'send'; readonly bytes: Buffer; readonly line: number }
  | { readonly kind: 'expect'; readonly bytes: Buffer; readonly line: number }
  | { readonly kind: 'action'; readonly verb: string; readonly args: readonly string[]; readonly line: number };

export function parseTranscript(
  text: string,
  vars: Readonly<Record<string, string | number>> = {},
  options: TranscriptOptions = {},
): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  const terminator = options.terminator === 'crlf' ? CRLF : CR;
  let echo = false;
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.replace(/\r$/, '');
    // Comments may mention variables the test does not provide.
    if (text.trim() === '' || text.startsWith('#')) return;
    const src = substitute(text, vars, line);
    if (src.trim() === '') return;
    const match = /^(>>|>|<<|<\+|<|!|@)(?: ?(.*))?$/.exec(src);
    if (match === null) throw new Error(`transcript line ${line}: cannot read ${JSON.stringify(src)}`);
    const tag = match[1] as string;
    const body = match[2] ?? '';
    switch (tag) {
      case '>': {
        const typed = unescapeBytes(body);
        steps.push({ kind: 'send', bytes: Buffer.concat([typed, terminator]), line });
        if (echo) steps.push({ kind: 'expect', bytes: Buffer.concat([typed, CR]), line });
        break;
      }
      case '>>':
        steps.push({ kind: 'send', bytes: unescapeBytes(body), line });
        break;
      case '<':
        steps.push({ kind: 'expect', bytes: Buffer.concat([CRLF, unescapeBytes(body), CRLF]), line });
        break;
      case '<+':
        steps.push({ kind: 'expect', bytes: Buffer.concat([unescapeBytes(body), CRLF]), line });
        break;
      case '<<':
        steps.push({ kind: 'expect', bytes: unescapeBytes(body), line });
        break;
      case '!': {
        const [verb, ...args] = body.trim().split(/\s+/);
        if (verb === undefined || verb === '') throw new Error(`transcript line ${line}: action without a verb`);
        steps.push({ kind: 'action', verb, args, line });
        break;
      }
      case '@':
        if (body === 'echo on') echo = true;
        else if (body === 'echo off') echo = false;
        else throw new Error(`transcript line ${line}: unknown setting ${JSON.stringify(body)}`);
        break;
    }
  });
  return steps;
}

const CR = Buffer.from('\r');
const CRLF = Buffer.from('\r\n');

function substitute(text: string, vars: Readonly<Record<string, string | number>>, line: number): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`transcript line ${line}: no value for \${${name}}`);
    return String(value);
  });
}

/** Direction of a traced chunk. */
export type TraceDirection = 'host' | 'module';

/** One traced chunk as a transcript line (`>>` host bytes, `<<` module bytes), for replay as a test. */
export function traceLine(direction: TraceDirection, bytes: Uint8Array): string {
  return `${direction === 'host' ? '>>' : '<<'} ${escapeBytes(bytes)}`;
}
