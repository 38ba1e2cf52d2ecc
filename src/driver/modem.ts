/**
 * `Modem` (driver side): brings a module (or the emulator) up to a usable socket service, owns the
 * link table, and offers the thin per-link operations the socket layer builds on.
 *
 * API for the socket layer (TcpSocket / UdpSocket / TcpServer / dns build on these):
 *
 *   const modem = await Modem.open('/dev/ttyUSB2' | 'tcp://127.0.0.1:7070' | duplex, { apn, receiveMode })
 *   modem.channel                      the AtChannel (raw commands: modem.channel.command('AT+CSQ'))
 *   modem.info                         bring-up results: { ip, rssi, registration, echo }
 *   modem.receiveMode                  'push' (CIPRXGET=0) | 'buffer' (CIPRXGET=1)
 *
 *   allocateLink(preferred?)           reserve a free link 0–9 (clients are given the highest free
 *                                      link, since accepted clients take the lowest); releaseLink(n)
 *   linkState(n)                       'free' | 'reserved' | 'open' | 'closed'
 *   openTcp(link, host, port, {localPort})   AT+CIPOPEN … waits for `+CIPOPEN: <link>,<err>` (OK first)
 *   openUdp(link, localPort)           AT+CIPOPEN=<link>,"UDP",,,<localPort> (`+CIPOPEN: <link>,0` before OK)
 *   send(link, bytes, to?)             TCP: chunks of ≤1500, each `AT+CIPSEND` + prompt + data, paced by
 *                                      its `+CIPSEND: <link>,<req>,<cnf>` (one unconfirmed send per link);
 *                                      UDP: `to` = {address, port}, one datagram ≤1500. Resolves with bytes sent.
 *   read(link, max?)                   buffer mode: AT+CIPRXGET=2 → { bytes, rest, from? } (empty on "No data";
 *                                      `from` from the `+CIPRXGETIP:` line when CIPRXGET=5 is on)
 *   readThen(link, max, onRead)        the same, `onRead` called synchronously as the `OK` is parsed (a chained
 *                                      next read goes on the line at once; buffer-reader.ts)
 *   available(link)                    buffer mode: AT+CIPRXGET=4 → bytes waiting in the module
 *   closeLink(link)                    AT+CIPCLOSE (async or sync completion; "not open" tolerated)
 *   resolve(host)                      AT+CDNSGIP → addresses
 *   startServer(port, index, backlog?) / stopServer(index) / serverPort(index)
 *   escapeDataMode() / resumeDataMode()   transparent link 0: `+++` to online command mode, `ATO` back
 *   recover()                          after a network loss: NETCLOSE if still marked open, NETOPEN,
 *                                      receive mode again; after a module reset: the whole bring-up
 *   netClose(), close()
 *
 * Events:
 *   'data'      (link, bytes, from?)   pushed data (+IPD / RECV FROM / +RECEIVE) routed to its link
 *   'unrouted'  (block)                pushed data whose link cannot be told (several links, +IPD)
 *   'readable'  (link)                 `+CIPRXGET: 1,<link>`: the module holds data for the link
 *   'link-closed' (link, reason)       `+IPCLOSE: <link>,<reason>` (0 local, 1 remote, 2 timeout/DTR)
 *   'client'    (client)               `+CLIENT: <link>,<server>,<ip>:<port>` (link now open)
 *   'network-lost' (NetworkLostError)  `+CIPEVENT:` / `+CIP EVENT:`: every link is closed, and sends or
 *                                      opens awaiting their completion reject with that error
 *   'reset'     (line)                 boot URC: the module restarted, every link is gone
 *   'close'     (ChannelClosedError)   transport gone
 *
 * Transparent mode (`transparent: true`, CIPMODE=1): link 0's bytes are 'data' events for link 0;
 * its end is 'link-closed' (0, reason) when `CLOSED` is confirmed (a `CLOSED` inside the data is
 * told apart by a guarded `+++` probe, see AtChannel) or `ATO` answers `NO CARRIER`.
 *
 * Push data with `+IPD` carries no link number: it is routed by `RECV FROM` (the link whose remote is
 * that address, else the only UDP link) or, failing that, to the only open link. With several links
 * in push mode prefer `pushHeader: 'receive'` (CIPCCFG HeaderType 1) or buffer mode.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Err, IpErr } from '../at/errors.js';
import { openTransport } from './transports/open.js';
import { AtChannel, responseValue, type AtResponse, type CommandOptions, type PushBlock } from './at-channel.js';
import type { Clock } from '../time/clock.js';
import { AtCommandError, SendFailedError } from './errors.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import { timeFor } from './timeouts.js';
import { isConnectResult } from '../at/result-codes.js';
import { parseCipSend, parseDnsResult, parseNetClose, parseNetOpen, parseRxgetAvailable, parseServerStart } from '../at/frames/index.js';
import { BringUpSteps, quote } from './bring-up.js';
import { URC_HANDLERS, type UrcContext } from './urc/index.js';
import { checkLink, LinkTable, type LinkState } from './link-table.js';
import { completionErr, completionFailure, isNoData, NO_DATA, readResult, type BufferRead } from './answers.js';
import { DataModeLink } from './data-mode-link.js';
import type { BringUpInfo, ModemEvents, ModemOptions, ReceiveMode } from './modem-types.js';

export { LINK_COUNT, type LinkState } from './link-table.js';
/** Largest payload of one AT+CIPSEND and of one CIPRXGET=2 read (spec §0.3). */
export { SERVER_COUNT, MAX_SEND, MAX_READ } from '../at/limits.js';
import { MAX_SEND, MAX_READ, SERVER_COUNT } from '../at/limits.js';
export type { AcceptedClient, BringUpInfo, ModemEvents, ModemOptions, ReceiveMode } from './modem-types.js';
export type { BufferRead } from './answers.js';

/** CIPSEND answers that mean "not now" rather than "never": own buffer full, a send still pending. */
const SEND_RETRY_FIRST_MS = 10;
const SEND_RETRY_MAX_MS = 500;


export class Modem extends EventEmitter<ModemEvents> {
  readonly channel: AtChannel;
  readonly options: ModemOptions;
  private readonly steps: BringUpSteps;
  /** What the host knows of the ten links, the socket owning each included (link-table.ts). */
  readonly links: LinkTable;
  private readonly linkChains = new Map<number, Promise<unknown>>();
  private info_: BringUpInfo | undefined;
  private networkOpen = false;
  private pushHeaderInUse: 'ipd' | 'receive' = 'ipd';
  private rxAddresses = false;
  /** A boot URC was seen since the last bring-up: `recover()` must bring the module up again. */
  private wasReset = false;
  /** Transparent link 0 above the channel's data-mode port. */
  private readonly dataModeLink: DataModeLink;

  /** Open the device (or take a ready transport) and bring the module up. */
  static async open(target: string | Duplex, options: ModemOptions = {}): Promise<Modem> {
    const transport = typeof target === 'string' ? await openTransport(target, options) : target;
    const name = options.name ?? (typeof target === 'string' ? target : undefined);
    const modem = new Modem(transport, name === undefined ? options : { ...options, name });
    try {
      await modem.bringUp();
    } catch (error) {
      await modem.close();
      throw error;
    }
    return modem;
  }

  /** Wrap a transport without talking to the module yet (`bringUp()` does). */
  constructor(transport: Duplex, options: ModemOptions = {}) {
    super();
    this.options = options;
    this.channel = new AtChannel(transport, options);
    this.links = new LinkTable(this.channel.clock);
    this.steps = new BringUpSteps(this);
    this.channel.on('push', (block) => this.onPush(block));
    this.channel.on('passthrough', (bytes) => this.onPassthrough(bytes));
    this.dataModeLink = new DataModeLink({
      channel: this.channel,
      links: this.links,
      linkClosed: (link, reason) => this.emit('link-closed', link, reason),
    });
    const modem = this;
    const context: UrcContext = {
      links: this.links,
      failCompletions: (matches, error) => void this.channel.failCompletions(matches, error),
      get transparent() {
        return modem.transparent;
      },
      networkDown: () => (this.networkOpen = false),
      readable: (link) => this.emit('readable', link),
      linkClosed: (link, reason) => this.emit('link-closed', link, reason),
      client: (accepted) => this.emit('client', accepted),
      networkLost: (error) => this.emit('network-lost', error),
    };
    for (const { prefix, handle } of URC_HANDLERS) this.channel.onUrc(prefix, (line) => handle(context, line));
    this.channel.on('reset', (line) => this.onReset(line));
    this.channel.on('close', (error) => this.emit('close', error));
  }

  get receiveMode(): ReceiveMode {
    return this.options.receiveMode ?? 'push';
  }

  /** The push header the module was configured for (`receive` only if it accepted CIPCCFG HeaderType 1). */
  get pushHeader(): 'ipd' | 'receive' {
    return this.pushHeaderInUse;
  }

  /** Buffer-mode reads carry their source address (`AT+CIPRXGET=5` accepted). */
  get rxSourceAddresses(): boolean {
    return this.rxAddresses;
  }

  /** CIPMODE=1 was asked for: link 0 runs in transparent data mode. */
  get transparent(): boolean {
    return this.options.transparent === true;
  }

  /** Bring-up results; undefined until `bringUp()` has finished. */
  get info(): BringUpInfo | undefined {
    return this.info_;
  }

  // ---------------------------------------------------------------- bring-up (spec §10, AN§1.4)

  async bringUp(): Promise<BringUpInfo> {
    const o = this.options;
    const steps = this.steps;
    await steps.sync();
    if (o.keepEcho !== true) await this.command('ATE0');
    await this.command('AT+CMEE=2');
    await steps.waitSimReady();
    const rssi = await steps.signalQuality();
    const registration = await steps.waitRegistered();
    if (o.apn !== undefined) await this.command(`AT+CGDCONT=1,${quote(o.pdpType ?? 'IP')},${quote(o.apn)}`);
    await steps.setCipMode(o.transparent === true ? 1 : 0);
    this.pushHeaderInUse = 'ipd';
    this.pushHeaderInUse = await steps.configureSockets();
    await this.netOpen();
    this.rxAddresses = false;
    this.rxAddresses = await steps.setReceiveMode();
    const ip = await this.ipAddress();
    this.info_ = { ip, rssi, registration, echo: this.channel.echo === 'on' };
    this.wasReset = false;
    return this.info_;
  }

  /**
   * Make the socket service usable again. After a module reset: the whole bring-up. After a network
   * loss (`+CIPEVENT`): AT+NETCLOSE if `AT+NETOPEN?` still says open (spec §4), AT+NETOPEN, and
   * the receive mode again. Links the loss closed stay 'closed' until their owners release them.
   */
  async recover(): Promise<void> {
    if (this.wasReset || this.info_ === undefined) {
      await this.bringUp();
      return;
    }
    const state = responseValue(await this.command('AT+NETOPEN?'), '+NETOPEN:');
    if (state === '1' && !this.networkOpen) await this.netClose();
    if (state !== '1' || !this.networkOpen) await this.netOpen();
    this.rxAddresses = false;
    this.rxAddresses = await this.steps.setReceiveMode();
    this.info_ = { ...this.info_, ip: await this.ipAddress() };
  }

  /** AT+NETOPEN, OK then `+NETOPEN: <err>`; "Network is already opened" counts as open. */
  async netOpen(): Promise<void> {
    try {
      const response = await this.command('AT+NETOPEN', {
        responsePrefixes: ['+NETOPEN:', '+IP ERROR:'],
        completion: { match: (l) => parseNetOpen(l) !== undefined, what: '+NETOPEN: <err>', timeoutMs: this.time('+NETOPEN') },
        onSuccess: (r) => {
          if (completionErr(r) === 0) this.networkOpen = true;
        },
      });
      if (completionErr(response) !== 0) throw completionFailure(response);
    } catch (error) {
      if (!(error instanceof AtCommandError) || error.final === 'OK') throw error;
      if (error.ipErrorCode !== IpErr.AlreadyOpened) {
        // Some firmware answers a bare ERROR even with CMEE=2 (spec §2.2.1): ask.
        const state = responseValue(await this.command('AT+NETOPEN?'), '+NETOPEN:');
        if (state !== '1') throw error;
      }
    }
    this.networkOpen = true;
  }

  /** AT+NETCLOSE: OK then `+NETCLOSE: <err>`; "not opened" (`+NETCLOSE: 2` / ERROR) counts as closed. */
  async netClose(): Promise<void> {
    try {
      const response = await this.command('AT+NETCLOSE', {
        responsePrefixes: ['+NETCLOSE:', '+IP ERROR:'],
        completion: { match: (l) => parseNetClose(l) !== undefined, what: '+NETCLOSE: <err>', timeoutMs: this.time('+NETCLOSE') },
      });
      if (completionErr(response) !== 0) throw completionFailure(response);
    } catch (error) {
      // `+NETCLOSE: 2` (A76XX) or `+IP ERROR: 5` "Network is already closed" (SIM5320/SIM7600): closed already.
      if (!(error instanceof AtCommandError) || !(error.err === 2 || error.ipErrorCode === IpErr.AlreadyClosed)) throw error;
    }
    this.networkOpen = false;
    this.links.closeAll();
  }

  async ipAddress(): Promise<string | undefined> {
    return responseValue(await this.command('AT+IPADDR'), '+IPADDR:');
  }

  /** The module's temperature in °C (`AT+CPMUTEMP` → `+CPMUTEMP: <n>`), undefined if unreadable, like signalQuality. */
  async temperature(): Promise<number | undefined> {
    const value = responseValue(await this.command('AT+CPMUTEMP'), '+CPMUTEMP:');
    const celsius = value === undefined || value.trim() === '' ? NaN : Number(value);
    return Number.isFinite(celsius) ? celsius : undefined;
  }

  get isNetworkOpen(): boolean {
    return this.networkOpen;
  }

  // ---------------------------------------------------------------- links

  /** Reserve a free link (the preferred one, else the highest free: accepts take the lowest). */
  allocateLink(preferred?: number): number {
    return this.links.allocate(preferred);
  }

  /** Give a link back (after its close, or when an open failed); a connect waiting for it looks again. */
  releaseLink(link: number): void {
    this.links.release(link);
  }

  /** Resolves when `link` is free (see `LinkTable.whenFree`); `AtTimeoutError` after `timeoutMs`. */
  whenLinkFree(link: number, timeoutMs: number): Promise<void> {
    return this.links.whenFree(link, timeoutMs, () => this.channel.closed);
  }

  linkState(link: number): LinkState {
    return this.links.state(link);
  }

  /** Tell the router who is on the other end of a link (so `RECV FROM` can pick it). */
  setLinkRemote(link: number, remote: RemoteAddress): void {
    this.links.setRemote(link, remote);
  }

  /** AT+CIPOPEN=<link>,"TCP",… : OK then `+CIPOPEN: <link>,<err>` (or `+CIPOPEN: <link>,<err>` / ERROR). */
  async openTcp(link: number, host: string, port: number, options: { localPort?: number } = {}): Promise<void> {
    checkLink(link);
    const local = options.localPort === undefined ? '' : `,${options.localPort}`;
    const remote = /^[\d.]+$|:/.test(host) ? { address: host, port } : undefined;
    const response = await this.command(`AT+CIPOPEN=${link},"TCP",${quote(host)},${port}${local}`, this.openOptions(link, 'tcp', remote));
    if (completionErr(response) !== 0 && !isConnectResult(response.final)) throw completionFailure(response, link);
  }

  /** AT+CIPOPEN=<link>,"UDP",,,<localPort>: `+CIPOPEN: <link>,0` then OK (synchronous). */
  async openUdp(link: number, localPort: number): Promise<void> {
    checkLink(link);
    const response = await this.command(`AT+CIPOPEN=${link},"UDP",,,${localPort}`, this.openOptions(link, 'udp', undefined));
    if (completionErr(response) !== 0) throw completionFailure(response, link);
  }

  /** CIPOPEN answer shapes; the link is marked open in the same tick as its `+CIPOPEN: <link>,0`. */
  private openOptions(link: number, type: 'tcp' | 'udp', remote: RemoteAddress | undefined): CommandOptions {
    const prefix = `+CIPOPEN: ${link},`;
    return {
      responsePrefixes: [prefix, '+IP ERROR:'],
      completion: { match: (l) => l.startsWith(prefix), what: `${prefix}<err>`, timeoutMs: this.time('+CIPOPEN') },
      onSuccess: (response) => {
        if (completionErr(response) !== 0 && !isConnectResult(response.final)) return;
        const entry = this.links.at(link);
        entry.state = 'open';
        entry.type = type;
        entry.server = undefined;
        entry.remote = entry.remote ?? remote;
        entry.transparent = isConnectResult(response.final);
      },
    };
  }

  /**
   * AT+CIPCLOSE=<link>; the link is closed afterwards even if the module says it was not open
   * (err 4). A transparent link in data mode is first left with `+++` (it may turn out closed).
   */
  async closeLink(link: number): Promise<void> {
    checkLink(link);
    const entry = this.links.at(link);
    entry.closing = true;
    try {
      // Data mode is about to be back: let the ATO finish, then leave data mode again to close.
      if (entry.transparent) await this.dataModeLink.settled();
      if (entry.transparent && this.channel.inDataMode) {
        const ended = await this.channel.escapeDataMode();
        if (ended !== 'OK' || entry.state !== 'open') {
          this.links.markClosed(link);
          return;
        }
      }
      const prefix = `+CIPCLOSE: ${link},`;
      try {
        const response = await this.command(`AT+CIPCLOSE=${link}`, {
          responsePrefixes: [prefix, '+IP ERROR:'],
          completion: { match: (l) => l.startsWith(prefix), what: `${prefix}<err>`, timeoutMs: this.time('+CIPCLOSE') },
          onSuccess: () => this.links.markClosed(link),
        });
        if (completionErr(response) !== 0) throw completionFailure(response, link);
      } catch (error) {
        // `+CIPCLOSE: <link>,4` / ERROR: the link was not open (peer closed, network lost) — it is closed
        // now; SIM5320/SIM7600 say `+IP ERROR: 8` (Network not opened) for the same (TinyGSM#581).
        if (!(error instanceof AtCommandError && (error.err === Err.NotSupported || error.ipErrorCode === IpErr.NetworkNotOpened))) throw error;
      }
      this.links.markClosed(link);
    } finally {
      if (this.links.at(link) === entry) entry.closing = false;
    }
  }

  /** Transparent link 0: `+++` to online command mode (`OK`), or `CLOSED` if it ended meanwhile. */
  escapeDataMode(): Promise<'command' | 'closed'> {
    return this.dataModeLink.escapeDataMode();
  }

  /** Transparent link 0: `ATO` back to data mode; `NO CARRIER` means the link is gone (LinkClosedError). */
  resumeDataMode(): Promise<void> {
    return this.dataModeLink.resumeDataMode();
  }

  /** Transparent link 0 data: straight to the module; `callback` once the transport took it. */
  writeTransparent(data: Uint8Array, callback: (error?: Error | null) => void): void {
    this.dataModeLink.writeTransparent(data, callback);
  }

  /**
   * Send bytes on a link. TCP: split into ≤1500-byte AT+CIPSEND chunks, each confirmed by
   * `+CIPSEND: <link>,<req>,<cnf>` before the next (cnf ≠ req rejects with SendFailedError).
   * UDP (`to` given): one datagram of at most 1500 bytes. Sends on one link keep their order.
   */
  send(link: number, data: Uint8Array, to?: RemoteAddress): Promise<number> {
    checkLink(link);
    if (to !== undefined && data.length > MAX_SEND) {
      return Promise.reject(new RangeError(`UDP datagram of ${data.length} bytes exceeds ${MAX_SEND}`));
    }
    const previous = this.linkChains.get(link) ?? Promise.resolve();
    const run = previous.then(
      () => this.sendChunks(link, Buffer.from(data), to),
      () => this.sendChunks(link, Buffer.from(data), to),
    );
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.linkChains.set(link, settled);
    void settled.then(() => {
      if (this.linkChains.get(link) === settled) this.linkChains.delete(link);
    });
    return run;
  }

  private async sendChunks(link: number, data: Buffer, to: RemoteAddress | undefined): Promise<number> {
    let sent = 0;
    if (data.length === 0) return 0;
    while (sent < data.length) {
      const chunk = data.subarray(sent, Math.min(data.length, sent + MAX_SEND));
      // Sends on one link are chained (`send`); links do not wait for each other: the module allows
      // one unconfirmed CIPSEND per link (a second is `+CIPERROR: 8` Busy), not one for all.
      await this.sendChunk(link, chunk, to);
      sent += chunk.length;
    }
    return sent;
  }

  /**
   * One AT+CIPSEND. `+CIPSEND: <link>,<n>,0` (own send buffer or the peer's window full: nothing
   * was taken) and `+CIPERROR: 8` (Busy: an earlier send still unconfirmed) are retried after a
   * growing pause, within the CIPSEND response time; -1 (the connection is gone) is final.
   */
  private async sendChunk(link: number, chunk: Buffer, to: RemoteAddress | undefined): Promise<void> {
    const deadline = this.clock.now() + this.time('+CIPSEND');
    for (let pause = SEND_RETRY_FIRST_MS; ; pause = Math.min(pause * 2, SEND_RETRY_MAX_MS)) {
      let confirmed: number;
      try {
        confirmed = await this.sendOnce(link, chunk, to);
      } catch (error) {
        if (!(error instanceof AtCommandError && error.err === Err.Busy) || this.clock.now() + pause > deadline) throw error;
        await this.sleep(pause);
        continue;
      }
      if (confirmed === chunk.length) return;
      if (confirmed !== 0 || this.clock.now() + pause > deadline) throw new SendFailedError(link, chunk.length, confirmed);
      await this.sleep(pause);
    }
  }

  /** AT+CIPSEND with its data; resolves with `<cnfSendLength>` (-1 when the line is missing or odd). */
  private async sendOnce(link: number, chunk: Buffer, to: RemoteAddress | undefined): Promise<number> {
    const target = to === undefined ? '' : `,${quote(to.address)},${to.port}`;
    const prefix = `+CIPSEND: ${link},`;
    const response = await this.command(`AT+CIPSEND=${link},${chunk.length}${target}`, {
      data: chunk,
      responsePrefixes: [prefix, '+CIPERROR:'],
      completion: { match: (l) => l.startsWith(prefix), what: `${prefix}${chunk.length},<cnf>`, timeoutMs: this.time('+CIPSEND') },
    });
    const result = parseCipSend(response.completion ?? '');
    if (result === undefined || result.requested !== chunk.length) return -1;
    return result.confirmed;
  }

  /**
   * Buffer mode: AT+CIPRXGET=2,<link>,<max> → the bytes and how many remain ("No data" = empty);
   * with CIPRXGET=5 also where they came from (`+CIPRXGETIP: <ip>:<port>`, spec §2.2.5, Q10).
   */
  async read(link: number, max = MAX_READ): Promise<BufferRead> {
    let result: BufferRead = NO_DATA;
    await this.readThen(link, max, (r) => (result = r));
    return result;
  }

  /**
   * `read()` for a reader that chains reads: `onRead` runs synchronously while the answer's `OK` is
   * parsed, so a next read it asks for goes on the line at once — one command line at a time, as
   * the module requires (spec §1.2), but no promise hops or timers between two reads. "No data"
   * calls `onRead` with nothing (later, from the rejection). The promise settles after `onRead`;
   * it rejects on any other error, or with what `onRead` threw.
   */
  async readThen(link: number, max: number, onRead: (result: BufferRead) => void): Promise<void> {
    checkLink(link);
    const length = Math.max(1, Math.min(MAX_READ, Math.floor(max)));
    try {
      await this.command(`AT+CIPRXGET=2,${link},${length}`, {
        responsePrefixes: ['+CIPRXGET: 2,', '+CIPRXGETIP:', '+IP ERROR:'],
        onSuccess: (response) => onRead(readResult(link, response)),
      });
    } catch (error) {
      if (!(error instanceof AtCommandError && isNoData(error))) throw error;
      onRead(NO_DATA);
    }
  }

  /** Buffer mode: AT+CIPRXGET=4,<link> → bytes waiting in the module for that link. */
  async available(link: number): Promise<number> {
    checkLink(link);
    const prefix = `+CIPRXGET: 4,${link},`;
    const response = await this.command(`AT+CIPRXGET=4,${link}`, { responsePrefixes: [prefix, '+IP ERROR:'] });
    const value = response.lines.find((l) => l.startsWith(prefix));
    return (value === undefined ? undefined : parseRxgetAvailable(value))?.rest ?? 0;
  }

  /** AT+CDNSGIP="<host>" → the addresses (`+CDNSGIP: 0,<code>` / ERROR rejects with detail.dnsError). */
  async resolve(host: string): Promise<string[]> {
    const response = await this.command(`AT+CDNSGIP=${quote(host)}`, { responsePrefixes: ['+CDNSGIP:'] });
    const addresses: string[] = [];
    for (const line of response.lines) {
      addresses.push(...(parseDnsResult(line) ?? []));
    }
    return addresses;
  }

  /** AT+SERVERSTART=<port>,<index>[,<backlog>]. Accepted clients arrive as 'client' events. */
  async startServer(port: number, index: number, backlog?: number): Promise<void> {
    if (!Number.isInteger(index) || index < 0 || index >= SERVER_COUNT) throw new RangeError(`server index ${index} is not 0–${SERVER_COUNT - 1}`);
    await this.command(`AT+SERVERSTART=${port},${index}${backlog === undefined ? '' : `,${backlog}`}`, {
      responsePrefixes: ['+CIPERROR:'],
    });
  }

  /** The port server `index` listens on, from `AT+SERVERSTART?` (what port 0 turned into); undefined if not listed. */
  async serverPort(index: number): Promise<number | undefined> {
    const response = await this.command('AT+SERVERSTART?', { responsePrefixes: ['+SERVERSTART:', '+CIPERROR:'] });
    for (const line of response.lines) {
      const listening = parseServerStart(line);
      if (listening?.server === index) return listening.port;
    }
    return undefined;
  }

  /** AT+SERVERSTOP=<index>: `+SERVERSTOP: <index>,<err>` before or after OK (spec §2.2.15). */
  async stopServer(index: number): Promise<void> {
    const prefix = `+SERVERSTOP: ${index},`;
    const response = await this.command(`AT+SERVERSTOP=${index}`, {
      responsePrefixes: [prefix],
      completion: { match: (l) => l.startsWith(prefix), what: `${prefix}<err>`, timeoutMs: this.time('+SERVERSTOP') },
    });
    if (completionErr(response) !== 0) throw completionFailure(response, index);
  }

  /** Any command, through the channel (for what this class does not wrap). */
  command(text: string, options?: CommandOptions): Promise<AtResponse> {
    return this.channel.command(text, options);
  }

  /** Close the channel and the transport; optionally `AT+NETCLOSE` first (best effort). */
  async close(options: { netClose?: boolean } = {}): Promise<void> {
    if (options.netClose === true && !this.channel.closed) {
      try {
        await this.netClose();
      } catch {
        // Closing anyway.
      }
    }
    this.channel.close();
  }

  // ---------------------------------------------------------------- unsolicited

  private onPush(block: PushBlock): void {
    const link = block.link ?? this.links.routePush(block.from);
    if (link === undefined) {
      this.emit('unrouted', block);
      return;
    }
    this.emit('data', link, block.bytes, block.from);
  }

  private onPassthrough(bytes: Buffer): void {
    this.emit('data', 0, bytes, undefined);
  }

  private onReset(line: string): void {
    this.networkOpen = false;
    this.wasReset = true;
    this.links.closeAll();
    this.emit('reset', line);
  }

  // ---------------------------------------------------------------- helpers

  private get clock(): Clock {
    return this.channel.clock;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  private time(name: string): number {
    return timeFor(name, this.options.timeouts);
  }
}
