/** Final result codes with their verbose text and `ATV0` number (spec §1.4, §5.5). */
export const RESULT_CODES = {
  OK: 0,
  CONNECT: 1,
  RING: 2,
  'NO CARRIER': 3,
  ERROR: 4,
  'NO DIALTONE': 6,
  BUSY: 7,
  'NO ANSWER': 8,
} as const;

export type ResultCode = keyof typeof RESULT_CODES;

export const CR = 0x0d;
export const LF = 0x0a;
export const CTRL_Z = 0x1a;
export const ESC = 0x1b;
export const ETX = 0x03;
export const BACKSPACE = 0x08;
export const CRLF = '\r\n';

/** `<CR><LF>text<CR><LF>`: how a URC or the first line of a response is framed with ATV1. */
export function framed(text: string): string {
  return `\r\n${text}\r\n`;
}

/** Lines that end with a final result code (so a response or a command in flight is over). */
export function isFinalResult(line: string): boolean {
  return (
    line === 'OK' ||
    line === 'ERROR' ||
    line === 'NO CARRIER' ||
    line === 'CONNECT FAIL' ||
    line.startsWith('+CME ERROR:') ||
    line.startsWith('+CMS ERROR:')
  );
}
