/**
 * What the driver knows about unsolicited lines (spec §4, §1.7): which prefixes are URCs, which
 * lines are URCs even while a command with the same prefix is running, and which mean "rebooted".
 */

/** Prefixes of unsolicited lines (URC catalogue, spec §4). */
export const URC_PREFIXES: readonly string[] = [
  '+CIPOPEN:',
  '+CIPSEND:',
  '+CIPCLOSE:',
  '+NETOPEN:',
  '+NETCLOSE:',
  '+SERVERSTOP:',
  '+CIPRXGET: 1,',
  '+IPCLOSE:',
  '+CLIENT:',
  '+CIPEVENT:',
  '+CIP EVENT:',
  'CLOSED',
  '*ATREADY:',
  'RDY',
  '+CPIN:',
  'SMS DONE',
  'PB DONE',
  '+CGEV:',
  '+CREG:',
  '+CGREG:',
  '+CEREG:',
  '+CSQ:',
  '+CTZV:',
  '*PSNWID:',
  '*PSUTTZ:',
  'DST:',
  '+CNSMOD:',
  '+CPING:',
  '+CNTP:',
  'RING',
  '+CMTI:',
  '*ISIMAID:',
  '*COPN:',
  '+SIMCARD:',
  '*RADIOPOWER:',
  '+CIPSENDSTR:',
  // The SSL service (docs/ssl-spec.md §4).
  '+CCHSTART:',
  '+CCHSTOP:',
  '+CCHOPEN:',
  '+CCHSEND:',
  '+CCHCLOSE:',
  '+CCHRECV:',
  '+CCHEVENT:',
  '+CCH_PEER_CLOSED:',
  '+CCH_RECV_CLOSED:',
  '+CCH:',
];

/**
 * Lines that are URCs even when they share the running command's prefix: the buffer-mode data
 * notification can land in the middle of an `AT+CIPRXGET=4` reply (spec §1.6), and the network-loss
 * event can come at any time.
 */
export const ALWAYS_URC: readonly RegExp[] = [
  /^\+CIPRXGET: ?1,\d+$/,
  /^\+CIP ?EVENT:/,
  /^\*ATREADY:/,
  /^RDY$/,
  /^\+IPCLOSE:/,
  /^\+CLIENT:/,
  /^\+CCHEVENT:/,
  /^\+CCH_PEER_CLOSED:/,
  /^\+CCH: /,
];

/** Boot URCs that mean the module (re)started (spec §1.7): A76XX `*ATREADY: 1`, SIM7600 `RDY`. */
export function isBootLine(line: string): boolean {
  return line.startsWith('*ATREADY:') || line === 'RDY';
}

export function isKnownUrc(line: string): boolean {
  for (const prefix of URC_PREFIXES) if (line.startsWith(prefix)) return true;
  return false;
}
