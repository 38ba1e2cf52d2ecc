/**
 * How a line leaves the module (spec §1.4): with ATV1 a URC, a result code and the first line of
 * a response are framed `<CR><LF>text<CR><LF>`, later lines of the same response `text<CR><LF>`;
 * with ATV0 a result code is its number and `<CR>`. The emulator writes every line through these;
 * the driver's framer (module-output-framer.ts) takes both shapes apart.
 */

/** `<CR><LF>text<CR><LF>`: a URC, a result code or the first line of a response with ATV1. */
export function framed(text: string): string {
  return `\r\n${text}\r\n`;
}

/** A line as the module frames it: `<CR><LF>` first only in verbose mode (ATV1) and when `leading`. */
export function framedLine(text: string, verbose: boolean, leading = true): string {
  return verbose && leading ? `\r\n${text}\r\n` : `${text}\r\n`;
}

/** A result code with ATV0 (spec §5.5): its number and `<CR>`, no `<LF>`. */
export function formatNumericResult(numeric: number): string {
  return `${numeric}\r`;
}

/** The CIPSEND prompt as written: `<CR><LF>` and the prompt (`>` or the dialect's `> `, spec §2.2.4). */
export function formatPrompt(prompt = '>'): string {
  return `\r\n${prompt}`;
}

/** Is `bytes` (latin1) the CIPSEND prompt as `formatPrompt` writes it (`>` with at most one space)? */
export function parsePrompt(bytes: string): string | undefined {
  const m = /^\r\n(> ?)$/.exec(bytes);
  return m === null ? undefined : m[1];
}
