import { LINK_COUNT, RX_BUFFER_LIMIT, type SocketService } from '../../../src/emulator/links.js';
import type { EmulatedModem } from '../../../src/emulator/modem.js';
import type { FuzzNetwork } from './fuzz-network.js';

/**
 * What must hold of the socket service between any two steps, and how its answers must agree
 * with it. Each check returns a description of the first problem, or undefined.
 */

/** The largest payload a fuzz peer sends at once: one socket read may overshoot the buffer limit by that much. */
export const MAX_PEER_PAYLOAD = 20_000;

export function checkLinkTable(modem: EmulatedModem, service: SocketService, network: FuzzNetwork): string | undefined {
  if (service.links.length !== LINK_COUNT) return `the link table has ${service.links.length} slots`;
  for (const [i, link] of service.links.entries()) {
    if (link !== undefined && link.index !== i) return `slot ${i} holds link ${link.index}`;
  }
  for (const [i, rx] of service.rx.entries()) {
    const n = rx.length;
    if (!Number.isInteger(n) || n < 0 || n > RX_BUFFER_LIMIT + MAX_PEER_PAYLOAD) return `receive buffer ${i} holds ${n} bytes`;
  }
  if (modem.state.ip.net === 'closed') {
    const left = service.links.findIndex((l) => l !== undefined);
    if (left >= 0) return `link ${left} (${service.links[left]?.state}) is still in the table with the network closed`;
  }
  for (const [n, connection] of network.connections.entries()) {
    const link = service.links.find((l) => l?.tcp === connection);
    if (link !== undefined && connection.endedBy !== undefined) return `link ${link.index} holds connection ${n}, which the module ended`;
    if (link === undefined && connection.endedBy === undefined) return `connection ${n} is open but no link holds it`;
    if (link !== undefined && link.paused !== connection.paused) {
      return `link ${link.index} paused=${link.paused} but its connection paused=${connection.paused}`;
    }
  }
  for (const [n, socket] of network.udpSockets.entries()) {
    const link = service.links.find((l) => l?.udp === socket);
    if (link !== undefined && socket.closed) return `link ${link.index} holds UDP socket ${n}, which is closed`;
    if (link === undefined && !socket.closed) return `UDP socket ${n} is open but no link holds it`;
  }
  for (const [n, listener] of network.listeners.entries()) {
    const slot = service.servers.find((s) => s?.listener === listener);
    if (slot !== undefined && listener.closed) return `server ${slot.index} holds listener ${n}, which is closed`;
    if (slot === undefined && !listener.closed) return `listener ${n} is open but no server holds it`;
  }
  return undefined;
}

export interface Answers {
  /** Output of AT+CIPOPEN?, AT+CIPCLOSE?, AT+NETOPEN? and AT+CIPRXGET=4,<i> for i = 0…9 (echo off, verbose). */
  readonly cipopen: string;
  readonly cipclose: string;
  readonly netopen: string;
  readonly rxget: readonly string[];
}

export function checkAnswers(modem: EmulatedModem, service: SocketService, answers: Answers): string | undefined {
  const cipopen: string[] = [];
  const flags: number[] = [];
  for (let i = 0; i < LINK_COUNT; i++) {
    const link = service.openLink(i);
    flags.push(link === undefined ? 0 : 1);
    cipopen.push(link === undefined ? `+CIPOPEN: ${i}` : `+CIPOPEN: ${i},"${link.type}","*",*,${link.serverIndex}`);
  }
  return (
    compare('AT+CIPOPEN?', answers.cipopen, [...cipopen, 'OK']) ??
    compare('AT+CIPCLOSE?', answers.cipclose, [`+CIPCLOSE: ${flags.join(',')}`, 'OK']) ??
    compare('AT+NETOPEN?', answers.netopen, [`+NETOPEN: ${modem.state.ip.net === 'open' ? 1 : 0}`, 'OK']) ??
    answers.rxget
      .map((answer, i) => compare(`AT+CIPRXGET=4,${i}`, answer, [`+CIPRXGET: 4,${i},${service.rx[i]?.length ?? 0}`, 'OK']))
      .find((problem) => problem !== undefined)
  );
}

/** `printed` must be `\r\n<line 1>\r\n<line 2>\r\n…\r\n\r\nOK\r\n`; `*` in an expected line matches any field. */
function compare(command: string, printed: string, expected: readonly string[]): string | undefined {
  const lines = printed.split('\r\n').filter((l) => l !== '');
  const ok =
    printed.startsWith('\r\n') &&
    printed.endsWith('\r\n') &&
    lines.length === expected.length &&
    lines.every((line, i) => pattern(expected[i] as string).test(line));
  return ok ? undefined : `${command} answered ${JSON.stringify(printed)}, the table says ${JSON.stringify(expected)}`;
}

function pattern(line: string): RegExp {
  const parts = line.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^,]*')}$`);
}
