import { IP_ERROR_TEXT_A76XX, IP_ERROR_TEXT_SIM7600, IpErr } from '../at/errors.js';

/**
 * Every point where real modules, the application note and the SIM7600 family disagree (spec §6,
 * §8, §9, §11), in one table. Handlers read `modem.dialect.<choice>`; they never test a dialect name.
 */
export type DialectName = 'a76xx' | 'app-note' | 'sim7600';

export interface Dialect {
  readonly name: DialectName;
  /** Module family (what the fields below were taken from; handlers read the fields, not this). */
  readonly family: 'a76xx' | 'sim7600';
  /** `<err_info>` texts of `+IP ERROR:` with CIPCCFG errMode 1, by code (spec §5.1, §6 #24). */
  readonly ipErrorText: readonly string[];
  /** Link types AT+CIPOPEN takes (spec §2.2.3, §8): A76XX has UDPSERVER, SIM7600 does not. */
  readonly linkTypes: readonly ('TCP' | 'UDP' | 'UDPSERVER')[];
  /** Highest AT+CIPRXGET mode: 5 (A76XX: 1 with source addresses) or 4 (SIM7600) (spec §2.2.5, §8). */
  readonly rxgetMaxMode: 4 | 5;
  /** `<err_info>` of CIPRXGET=2/3 with nothing buffered: 22 "no data" (A76XX) or 21 (SIM7600 table) (spec §5.1, §6 #24). */
  readonly rxgetNoDataErr: number;
  /** AT+CIPCCFG values: 8 with `<Ack>` fixed 0 (A76XX) or 7 with `<Ack>` 0–1 (SIM7600) (spec §2.2.13, §8). */
  readonly cipccfgValues: 7 | 8;
  /** End of an AT+CGDCONT? line: four empty fields (A76XX) or `<ipv4_ctrl>,<request_type>` (SIM7600) (spec §8). */
  readonly cgdcontTail: 'empty-fields' | 'ipv4-ctrl';
  /** Lines printed after power-on / reset (spec §1.7). */
  readonly bootUrcs: readonly string[];
  /** `+CIPEVENT:` (real) or `+CIP EVENT:` (application note) (spec §6 #4). */
  readonly cipEventPrefix: string;
  /** CIPSEND prompt after `<CR><LF>`: `>` (spec default, Q11) or `> `. */
  readonly prompt: string;
  /** ESC during a CIPSEND data phase (Q3): `OK` without `+CIPSEND`, or `ERROR`. */
  readonly escCancelResult: 'OK' | 'ERROR';
  /** A `<CR><LF>` after a pushed payload (Q1). */
  readonly pushTrailer: boolean;
  /** `+CIPRXGET: 1,<link>` once per empty→non-empty buffer, or for every packet (Q5). */
  readonly rxgetNotify: 'edge' | 'every-packet';
  /** CIPRXGET=2/3 data followed by `<CR><LF>` before the final `<CR><LF>OK<CR><LF>`. */
  readonly rxgetDataTrailer: boolean;
  /** AT+IPADDR with the network closed (Q9): manual `+IP ERROR: Network not opened` or AN `+IPADDR: …`. */
  readonly ipaddrClosedPrefix: '+IP ERROR' | '+IPADDR';
  /** SERVERSTOP shape (spec §2.2.15): `OK` then `+SERVERSTOP` (deferred) or `+SERVERSTOP` then `OK`. */
  readonly serverStop: 'deferred' | 'immediate';
  /** Peer close of a transparent link (Q2): also print `+IPCLOSE: 0,1` after `CLOSED`. */
  readonly transparentCloseIpclose: boolean;
  /**
   * Link-0 data that arrives while the host is in command mode after `+++` (Q4): held (TCP reading
   * pauses once 64 KiB wait) and written out after `ATO`, or dropped.
   */
  readonly escapedLinkData: 'hold' | 'drop';
  /** `<err>` for operations on a dead link: 4 (real A7670) or 2 (manual literal). */
  readonly deadLinkErr: number;
  /** Accept the application note's typos (`AT+CIOPEN`, `AT+CIPOEPN`, `AT+NETCLOS`) as aliases. */
  readonly lenientAliases: boolean;
  /** `Manufacturer:` line of ATI. */
  readonly atiManufacturer: string;
  /** AT+IPR / AT+IPREX rates (spec §2.1.18, §8). */
  readonly baudRates: readonly number[];
  /**
   * AT+CPSI? LTE signal fields (spec §2.1.11, §8): raw report values (A76XX: RSRQ, RSRP, RSSI as
   * the manual's raw numbers) or signed tenths of dB/dBm (SIM7600: `-84,-693,-386`).
   */
  readonly cpsiSignal: 'raw' | 'tenths';
  /**
   * `<format>` of AT+COPS? after power-on: 2 numeric (A76XX: manual `+COPS: 0,2,"46001",7`, real
   * A7670E `+COPS: 0,2,"73001",7`, LilyGo#221) or 0 long name (SIM7600G-H `+COPS: 0,0,"Mint",7`,
   * LilyGo#471) (spec §2.1.10).
   */
  readonly copsFormat: 0 | 2;
  /**
   * AT+CGDCONT? address of an active context: the one the network assigned (A76XX, LilyGo#294) or
   * the one written (SIM7600: `"0.0.0.0"` while connected, botletics#264; T-SIM7600X#90) (spec §2.1.15, §8).
   */
  readonly cgdcontAddress: 'assigned' | 'configured';
  /**
   * How AT+CGDCONT? shows a context defined without an address: `0.0.0.0` whatever its type
   * (A76XX [INF]: no log of an IPv6 context), or the zero address of its type, IPv6 and IPV4V6 in
   * the 16-octet dotted form (SIM7600G-H `"IPV4V6","fast.t-mobile.com","0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"`,
   * T-SIM7600X#90).
   */
  readonly cgdcontEmptyAddress: 'ipv4-zeros' | 'type-zeros';
  /** LTE attach prints `+CGEV: EPS PDN ACT 1` (A76XX, spec §1.7); a SIM7600G-H prints none. */
  readonly epsPdnActEvent: boolean;
}

/** A76XX manual V1.09 rates (the newer manual prints 1800000 and 3600000 for the top two). */
const A76XX_BAUD_RATES = [
  300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1842000, 3686400,
];

/** SIM7600 rates up to 4 Mbit/s (spec §8 gives the ceiling, not the list: the SIM7600 manual's list [INF]). */
const SIM7600_BAUD_RATES = [
  300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 3000000, 3200000, 3686400, 4000000,
];

const A76XX: Dialect = {
  name: 'a76xx',
  family: 'a76xx',
  ipErrorText: IP_ERROR_TEXT_A76XX,
  linkTypes: ['TCP', 'UDP', 'UDPSERVER'],
  rxgetMaxMode: 5,
  rxgetNoDataErr: IpErr.NoData,
  cipccfgValues: 8,
  cgdcontTail: 'empty-fields',
  bootUrcs: ['*ATREADY: 1', '+CPIN: READY', 'SMS DONE', '+CGEV: EPS PDN ACT 1', 'PB DONE'],
  cipEventPrefix: '+CIPEVENT:',
  prompt: '>',
  escCancelResult: 'OK',
  pushTrailer: false,
  rxgetNotify: 'edge',
  rxgetDataTrailer: true,
  ipaddrClosedPrefix: '+IP ERROR',
  serverStop: 'deferred',
  transparentCloseIpclose: false,
  escapedLinkData: 'hold',
  deadLinkErr: 4,
  lenientAliases: false,
  atiManufacturer: 'INCORPORATED',
  baudRates: A76XX_BAUD_RATES,
  cpsiSignal: 'raw',
  copsFormat: 2,
  cgdcontAddress: 'assigned',
  cgdcontEmptyAddress: 'ipv4-zeros',
  epsPdnActEvent: true,
};

export const DIALECTS: Readonly<Record<DialectName, Dialect>> = {
  a76xx: A76XX,
  'app-note': {
    ...A76XX,
    name: 'app-note',
    cipEventPrefix: '+CIP EVENT:',
    ipaddrClosedPrefix: '+IPADDR',
    serverStop: 'immediate',
    lenientAliases: true,
  },
  sim7600: {
    ...A76XX,
    name: 'sim7600',
    family: 'sim7600',
    ipErrorText: IP_ERROR_TEXT_SIM7600,
    linkTypes: ['TCP', 'UDP'],
    rxgetMaxMode: 4,
    rxgetNoDataErr: IpErr.OperationFailed,
    cipccfgValues: 7,
    cgdcontTail: 'ipv4-ctrl',
    bootUrcs: ['RDY', '+CPIN: READY', 'SMS DONE', 'PB DONE'],
    atiManufacturer: 'SIMCOM INCORPORATED',
    baudRates: SIM7600_BAUD_RATES,
    cpsiSignal: 'tenths',
    copsFormat: 0,
    cgdcontAddress: 'configured',
    cgdcontEmptyAddress: 'type-zeros',
    epsPdnActEvent: false,
  },
};

/** Every rate some dialect accepts (for range checks made before a modem is known). */
export const ALL_BAUD_RATES: readonly number[] = [...new Set([...A76XX_BAUD_RATES, ...SIM7600_BAUD_RATES])].sort((a, b) => a - b);

export function dialectNamed(name: string): Dialect {
  const d = (DIALECTS as Record<string, Dialect | undefined>)[name];
  if (d === undefined) throw new Error(`unknown dialect ${name} (known: ${Object.keys(DIALECTS).join(', ')})`);
  return d;
}
