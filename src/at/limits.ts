/**
 * The module's fixed limits, defined once for both ends (docs/at-spec.md §0.3, §1.2): the
 * emulator enforces them, the driver plans its commands by them.
 */

/** Sockets the module offers: link numbers 0–9 (AT+CIPOPEN). */
export const LINK_COUNT = 10;

/** Listening servers: server numbers 0–3 (AT+SERVERSTART). */
export const SERVER_COUNT = 4;

/** Largest payload of one AT+CIPSEND (and of one UDP datagram sent). */
export const MAX_SEND = 1500;

/** Largest block the module hands over at once: one `+IPD` push, one raw `AT+CIPRXGET=2` read. */
export const MAX_READ = 1500;

/** Largest hex-mode read (`AT+CIPRXGET=3`): 750 bytes, 1500 hex digits. */
export const MAX_HEX_READ = 750;

/** Longest command line the module keeps, in characters after `AT`. */
export const MAX_COMMAND_LINE = 3071;
