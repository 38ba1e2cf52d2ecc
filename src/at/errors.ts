/**
 * The module's error tables (spec §5). The emulator prints them; the driver decodes them.
 */

/** `<err_info>` of `+IP ERROR:` (spec §5.1), A76XX wording. Index = number. */
export const IP_ERROR_TEXT_A76XX: readonly string[] = [
  'Connection time out',
  'Bind port failed',
  'Port overflow',
  'Create socket failed',
  'Network is already opened',
  'Network is already closed',
  'No clients connected',
  'No active client',
  'Network not opened',
  'Client index overflow',
  'Connection is already created',
  'Connection is not created',
  'Invalid parameter',
  'Operation not supported',
  'DNS query failed',
  'TCP busy',
  'Net close failed for socket opened',
  'Sending time out',
  'Sending failure for network error',
  'Open failure for network error',
  'Server is already listening',
  'Operation failed',
  'No data',
];

/** SIM7600 wording where it differs (spec §5.1 right column, §6 #24). */
export const IP_ERROR_TEXT_SIM7600: readonly string[] = IP_ERROR_TEXT_A76XX.map((text, n) => {
  if (n === 16) return 'Netclose failed for socket opened';
  if (n === 21) return 'No Data';
  if (n === 22) return 'Port Overflow';
  return text;
});

/** Names of `<err_info>` numbers used by the code. */
export const IpErr = {
  ConnectionTimeout: 0,
  BindFailed: 1,
  PortOverflow: 2,
  CreateSocketFailed: 3,
  AlreadyOpened: 4,
  AlreadyClosed: 5,
  NoClients: 6,
  NoActiveClient: 7,
  NetworkNotOpened: 8,
  ClientIndexOverflow: 9,
  ConnectionExists: 10,
  ConnectionNotCreated: 11,
  InvalidParameter: 12,
  NotSupported: 13,
  DnsFailed: 14,
  TcpBusy: 15,
  NetCloseFailed: 16,
  SendTimeout: 17,
  SendNetworkError: 18,
  OpenNetworkError: 19,
  ServerListening: 20,
  OperationFailed: 21,
  NoData: 22,
} as const;

/** `<err>` of `+NETOPEN:`, `+CIPOPEN:`, `+CIPCLOSE:`, `+CIPERROR:` … (spec §5.2). */
export const Err = {
  Ok: 0,
  NetworkFailure: 1,
  NetworkNotOpened: 2,
  WrongParameter: 3,
  NotSupported: 4,
  CreateSocketFailed: 5,
  BindFailed: 6,
  ServerListening: 7,
  Busy: 8,
  SocketsOpened: 9,
  Timeout: 10,
  DnsFailed: 11,
  Unknown: 12,
} as const;

export const ERR_TEXT: readonly string[] = [
  'operation succeeded',
  'Network failure',
  'Network not opened',
  'Wrong parameter',
  'Operation not supported',
  'Failed to create socket',
  'Failed to bind socket',
  'TCP server is already listening',
  'Busy',
  'Sockets opened',
  'Timeout',
  'DNS parse failed for AT+CIPOPEN',
  'Unknown error',
];

/** `+CDNSGIP: 0,<code>` (spec §5.3). */
export const DNS_GENERAL_ERROR = 10;

/** `+CME ERROR` codes and their verbose texts (spec §5.4). */
export const CME_TEXT: ReadonlyMap<number, string> = new Map([
  [0, 'phone failure'],
  [1, 'no connection to phone'],
  [2, 'phone adaptor link reserved'],
  [3, 'operation not allowed'],
  [4, 'operation not supported'],
  [10, 'SIM not inserted'],
  [11, 'SIM PIN required'],
  [12, 'SIM PUK required'],
  [13, 'SIM failure'],
  [14, 'SIM busy'],
  [15, 'SIM wrong'],
  [16, 'incorrect password'],
  [17, 'SIM PIN2 required'],
  [20, 'memory full'],
  [21, 'invalid index'],
  [22, 'not found'],
  [30, 'no network service'],
  [31, 'network timeout'],
  [32, 'network not allowed - emergency calls only'],
  [50, 'Incorrect parameters'],
  [100, 'unknown error'],
  [107, 'GPRS services not allowed'],
  [111, 'PLMN not allowed'],
  [132, 'service option not supported'],
  [133, 'requested service option not subscribed'],
  [134, 'service option temporarily out of order'],
]);

export const Cme = {
  PhoneFailure: 0,
  NotAllowed: 3,
  NotSupported: 4,
  SimNotInserted: 10,
  SimPinRequired: 11,
  SimPukRequired: 12,
  SimFailure: 13,
  SimBusy: 14,
  IncorrectPassword: 16,
  NoNetworkService: 30,
  IncorrectParameters: 50,
  Unknown: 100,
} as const;

/** The text of `+CME ERROR: <code>` in verbose mode (CMEE=2). */
export function cmeText(code: number): string {
  return CME_TEXT.get(code) ?? 'unknown error';
}

/** Reverse lookup for drivers: verbose CME text (possibly with a ` (#33)` cause suffix) → code. */
export function cmeCodeOf(text: string): number | undefined {
  const bare = text.replace(/\s*\(#\d+\)\s*$/, '').trim().toLowerCase();
  for (const [code, t] of CME_TEXT) if (t.toLowerCase() === bare) return code;
  return undefined;
}

/** Reverse lookup for drivers: `+IP ERROR:` text or number → number (either family's table). */
export function ipErrorCodeOf(info: string): number | undefined {
  const t = info.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const lower = t.toLowerCase();
  const a = IP_ERROR_TEXT_A76XX.findIndex((x) => x.toLowerCase() === lower);
  if (a >= 0) return a;
  const s = IP_ERROR_TEXT_SIM7600.findIndex((x) => x.toLowerCase() === lower);
  return s >= 0 ? s : undefined;
}
