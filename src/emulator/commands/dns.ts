import { DNS_GENERAL_ERROR } from '../../at/errors.js';
import { formatDnsError, formatDnsResult } from '../../at/frames/dns.js';
import { DNS_TIMEOUT_MS } from '../links.js';
import type { CommandTable, Handler } from './types.js';
import { ERROR, OK } from './types.js';

/** AT+CDNSGIP (spec §2.2.17): resolve one name through the emulator's Network. */

/** ≤254 characters of `a-z A-Z 0-9 - .`, labels of 1–63 starting with a letter or digit. */
export function isValidDomainName(name: string): boolean {
  if (name.length === 0 || name.length > 254) return false;
  return name.split('.').every((label) => /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/.test(label));
}

const cdnsgipSet: Handler = async (ctx) => {
  const name = ctx.params.atMost(1).quoted(0);
  if (!isValidDomainName(name)) return ERROR;
  const service = ctx.modem.sockets;
  const network = service.network;
  const failed = () => ctx.failWith(formatDnsError(DNS_GENERAL_ERROR));
  if (ctx.state.ip.net !== 'open' || network === undefined) return failed();
  let address: string;
  try {
    address = await service.withTimeout(network.resolve(name), DNS_TIMEOUT_MS);
  } catch {
    return failed();
  }
  ctx.info(formatDnsResult(name, [address]));
  return OK;
};

export const dnsCommands: CommandTable = {
  '+CDNSGIP': { set: cdnsgipSet, test: () => OK },
};
