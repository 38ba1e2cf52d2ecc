/**
 * What `a76xx emulate` prints once it serves, for humans and for tools that start the emulator
 * and need the endpoint (stdout; stderr in --stdio mode, where stdout is the port):
 *   a76xx emulator ready: tcp 127.0.0.1:7070
 *   a76xx emulator ready: pty /dev/pts/5
 *   a76xx emulator ready: pty /dev/pts/5 (link /tmp/a76xx)
 *   a76xx emulator ready: stdio
 * A fleet (`--count N`, N > 1) prints one line per modem first, then one ready line for all:
 *   a76xx emulator modem 0: tcp 127.0.0.1:20000
 *   a76xx emulator modem 1: pty /dev/pts/7 (link /tmp/a76xx1)
 *   a76xx emulator ready: fleet 2 tcp 127.0.0.1:20000-20001   (consecutive ports)
 *   a76xx emulator ready: fleet 2 tcp                          (free ports)
 *   a76xx emulator ready: fleet 2 pty
 */
export const READY_PREFIX = 'a76xx emulator ready: ';

export const MODEM_PREFIX = 'a76xx emulator modem ';

export type ReadyEndpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'pty'; readonly path: string; readonly link: string | undefined }
  | { readonly kind: 'stdio' };

/** Read a ready line back (what a test or a supervising tool sees); undefined if it is not one. */
export function parseReadyLine(line: string): ReadyEndpoint | undefined {
  if (!line.startsWith(READY_PREFIX)) return undefined;
  const rest = line.slice(READY_PREFIX.length).trimEnd();
  if (rest === 'stdio') return { kind: 'stdio' };
  const tcp = /^tcp (?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(rest);
  if (tcp !== null) return { kind: 'tcp', host: (tcp[1] ?? tcp[2]) as string, port: Number(tcp[3]) };
  const pty = /^pty (\S+)(?: \(link (.+)\))?$/.exec(rest);
  if (pty !== null) return { kind: 'pty', path: pty[1] as string, link: pty[2] };
  return undefined;
}

/** A modem line of a fleet read back: its control id and its endpoint. */
export function parseModemLine(line: string): { id: string; endpoint: ReadyEndpoint } | undefined {
  if (!line.startsWith(MODEM_PREFIX)) return undefined;
  const match = /^(\d+): (.*)$/.exec(line.slice(MODEM_PREFIX.length).trimEnd());
  if (match === null) return undefined;
  const endpoint = parseReadyLine(`${READY_PREFIX}${match[2] as string}`);
  return endpoint === undefined ? undefined : { id: match[1] as string, endpoint };
}
