/**
 * A small module that speaks just enough of the A76XX socket service for the driver's public API
 * (bring-up, CIPOPEN TCP/UDP, CIPSEND, push with `+RECEIVE` headers or buffer access with
 * CIPRXGET, CIPCLOSE) over the in-memory transport, with an echo peer behind every link. What it
 * adds over the emulator is control of the wire: URCs and other links' pushed blocks between any two
 * frames, each output cut into seeded random chunks, and a restart at a frame boundary. Everything it
 * prints is well-formed, so the bytes every socket receives must be exactly the bytes it sent.
 */
import type { Duplex } from 'node:stream';
import { prng } from '../../driver/support/module-replay.js';
import { QUIET_URCS } from './output.js';

export interface FakeModuleOptions {
  readonly seed: number;
  /** Chance of noise before each frame (and of more noise after noise). */
  readonly noise: number;
  /** Largest output chunk (chunks are 1…max bytes, seeded). */
  readonly maxChunk: number;
  /** Largest pushed block / read the module makes (≤ 1500). */
  readonly maxBlock: number;
  /** Links the test's sockets never get: noise blocks are pushed there. */
  readonly spareLinks: readonly number[];
  /** Restart (boot URCs, every link gone) once this many bytes were echoed; undefined: never. */
  readonly rebootAfterBytes?: number;
}

interface Link {
  readonly type: 'TCP' | 'UDP';
  /** Buffer mode: bytes waiting to be read, with their datagram boundaries (UDP). */
  readonly rx: Buffer[];
}

const CR = 0x0d;
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const line = (text: string): Buffer => latin1(`\r\n${text}\r\n`);
/** Noise URCs that change nothing for the links in use. */
const NOISE_URCS = QUIET_URCS.filter((u) => !u.startsWith('+IPCLOSE') && !u.startsWith('+CIPRXGET'));

export class FakeModule {
  /** Boot lines printed (restarts). */
  reboots = 0;
  /** Noise blocks pushed to spare links (the driver drops them with a warning). */
  sparePushes = 0;
  private readonly end: Duplex;
  private readonly options: FakeModuleOptions;
  private readonly random: () => number;
  private echo = true;
  private buffered = false;
  private links: (Link | undefined)[] = new Array<Link | undefined>(10).fill(undefined);
  private inbox = Buffer.alloc(0);
  private dataPhase: { link: number; length: number; udp: boolean } | undefined;
  private readonly outbox: Buffer[] = [];
  private writing = false;
  private echoed = 0;
  private rebootDue = false;

  constructor(end: Duplex, options: FakeModuleOptions) {
    this.end = end;
    this.options = options;
    this.random = prng(options.seed);
    end.on('data', (chunk: Buffer) => this.input(chunk));
    end.on('error', () => {});
  }

  /** Links open now. */
  get openLinks(): number[] {
    return this.links.flatMap((l, i) => (l === undefined ? [] : [i]));
  }

  // ---------------------------------------------------------------- host → module

  private input(chunk: Buffer): void {
    this.inbox = Buffer.concat([this.inbox, chunk]);
    for (;;) {
      const phase = this.dataPhase;
      if (phase !== undefined) {
        if (this.inbox.length < phase.length) return;
        const data = this.inbox.subarray(0, phase.length);
        this.inbox = this.inbox.subarray(phase.length);
        this.dataPhase = undefined;
        this.sent(phase.link, data, phase.udp);
        continue;
      }
      const cr = this.inbox.indexOf(CR);
      if (cr < 0) return;
      const text = this.inbox.toString('latin1', 0, cr).replace(/^[\r\n]+/, '');
      this.inbox = this.inbox.subarray(cr + 1);
      if (text !== '') this.command(text);
    }
  }

  private command(text: string): void {
    if (this.echo) this.print([latin1(`${text}\r`)], false);
    const answer = this.answer(text);
    this.print(answer);
    if (this.rebootDue && this.dataPhase === undefined) this.reboot();
  }

  /** The frames answering one command line. */
  private answer(text: string): Buffer[] {
    const ok = line('OK');
    let m: RegExpExecArray | null;
    if (text === 'ATE0') {
      this.echo = false;
      return [ok];
    }
    if (text === 'AT+CPIN?') return [line('+CPIN: READY'), ok];
    if (text === 'AT+CSQ') return [line('+CSQ: 20,99'), ok];
    if (text === 'AT+CGREG?') return [line('+CGREG: 0,1'), ok];
    if (text === 'AT+IPADDR') return [line('+IPADDR: 10.64.0.2'), ok];
    if (text === 'AT+NETOPEN') return [ok, line('+NETOPEN: 0')];
    if (text === 'AT+NETOPEN?') return [line('+NETOPEN: 1'), ok];
    if (text === 'AT+CIPRXGET=5') return [line('ERROR')]; // no source addresses: plain mode 1
    if ((m = /^AT\+CIPRXGET=([01])$/.exec(text)) !== null) {
      this.buffered = m[1] === '1';
      return [ok];
    }
    if ((m = /^AT\+CIPOPEN=(\d),"TCP","[^"]+",\d+$/.exec(text)) !== null) {
      const link = Number(m[1]);
      if (this.links[link] !== undefined) return [ok, line(`+CIPOPEN: ${link},4`)];
      this.links[link] = { type: 'TCP', rx: [] };
      return [ok, line(`+CIPOPEN: ${link},0`)];
    }
    if ((m = /^AT\+CIPOPEN=(\d),"UDP",,,\d+$/.exec(text)) !== null) {
      const link = Number(m[1]);
      if (this.links[link] !== undefined) return [line(`+CIPOPEN: ${link},4`), line('ERROR')];
      this.links[link] = { type: 'UDP', rx: [] };
      return [line(`+CIPOPEN: ${link},0`), ok];
    }
    if ((m = /^AT\+CIPSEND=(\d),(\d+)(,"[^"]+",\d+)?$/.exec(text)) !== null) {
      const link = Number(m[1]);
      const length = Number(m[2]);
      if (this.links[link] === undefined || length < 1 || length > 1500) return [line('+CIPERROR: 4'), line('ERROR')];
      this.dataPhase = { link, length, udp: m[3] !== undefined };
      return [latin1('\r\n>')];
    }
    if ((m = /^AT\+CIPRXGET=2,(\d),(\d+)$/.exec(text)) !== null) return this.read(Number(m[1]), Number(m[2]));
    if ((m = /^AT\+CIPRXGET=4,(\d)$/.exec(text)) !== null) {
      const rest = (this.links[Number(m[1])]?.rx ?? []).reduce((n, b) => n + b.length, 0);
      return [line(`+CIPRXGET: 4,${m[1]},${rest}`), ok];
    }
    if ((m = /^AT\+CIPCLOSE=(\d)$/.exec(text)) !== null) {
      const link = Number(m[1]);
      if (this.links[link] === undefined) return [line(`+CIPCLOSE: ${link},4`), line('ERROR')];
      this.links[link] = undefined;
      return [ok, line(`+CIPCLOSE: ${link},0`)];
    }
    if (/^AT(Q0V1|\+CMEE=2|\+CIPMODE=0|\+CIPHEAD=1|\+CIPSRIP=1|\+CIPCCFG=[\d,]+)?$/.test(text)) return [ok];
    return [line('ERROR')];
  }

  /** The data phase is over: confirm, and let the echo peer answer a little later. */
  private sent(link: number, data: Buffer, udp: boolean): void {
    const echo = this.echo ? [data] : [];
    this.print([...echo, line('OK'), line(`+CIPSEND: ${link},${data.length},${data.length}`)], false);
    setImmediate(() => this.peer(link, Buffer.from(data), udp));
    if (this.rebootDue) this.reboot();
  }

  /** The echo peer's answer arrives on `link`. */
  private peer(link: number, data: Buffer, udp: boolean): void {
    const entry = this.links[link];
    if (entry === undefined) return;
    this.echoed += data.length;
    if (this.options.rebootAfterBytes !== undefined && this.echoed >= this.options.rebootAfterBytes && this.reboots === 0) {
      this.rebootDue = true;
      if (this.dataPhase === undefined) this.reboot();
      return;
    }
    // A TCP peer's bytes come in pieces of any size; a datagram stays whole.
    const pieces: Buffer[] = [];
    for (let at = 0; at < data.length; ) {
      const size = udp ? data.length : 1 + Math.floor(this.random() * this.options.maxBlock);
      pieces.push(data.subarray(at, at + size));
      at += size;
    }
    if (this.buffered) {
      const wasEmpty = entry.rx.length === 0;
      entry.rx.push(...pieces);
      if (wasEmpty) this.print([line(`+CIPRXGET: 1,${link}`)]);
      return;
    }
    this.print(pieces.map((p) => push(link, p, udp)));
  }

  private read(link: number, max: number): Buffer[] {
    const entry = this.links[link];
    const first = entry?.rx[0];
    if (entry === undefined || first === undefined) return [line('+IP ERROR: No data'), line('ERROR')];
    // A datagram is read whole (udpRecvmode 1) — the driver asks for 1500, the most there is.
    let take: Buffer;
    if (entry.type === 'UDP' || first.length <= max) {
      take = first;
      entry.rx.shift();
    } else {
      take = first.subarray(0, max);
      entry.rx[0] = first.subarray(max);
    }
    const rest = entry.rx.reduce((n, b) => n + b.length, 0);
    return [Buffer.concat([latin1(`\r\n+CIPRXGET: 2,${link},${take.length},${rest}\r\n`), take, latin1('\r\n')]), line('OK')];
  }

  /** A restart: every link gone, echo on again, the boot URCs. */
  private reboot(): void {
    this.rebootDue = false;
    this.reboots++;
    this.links = new Array<Link | undefined>(10).fill(undefined);
    this.echo = true;
    this.buffered = false;
    this.print([line('*ATREADY: 1'), line('+CPIN: READY'), line('SMS DONE'), line('PB DONE')], false);
  }

  // ---------------------------------------------------------------- module → host

  /** Frames in order, noise before each when `noisy`, cut into seeded chunks. */
  private print(frames: readonly Buffer[], noisy = true): void {
    const out: Buffer[] = [];
    for (const frame of frames) {
      if (noisy) out.push(...this.noise());
      out.push(frame);
    }
    const bytes = Buffer.concat(out);
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(this.random() * this.options.maxChunk);
      this.outbox.push(bytes.subarray(at, at + size));
      at += size;
    }
    this.pump();
  }

  private noise(): Buffer[] {
    const out: Buffer[] = [];
    while (this.random() < this.options.noise) {
      const spare = this.options.spareLinks;
      if (this.random() < 0.6 || spare.length === 0) {
        out.push(line(NOISE_URCS[Math.floor(this.random() * NOISE_URCS.length)] as string));
      } else {
        const link = spare[Math.floor(this.random() * spare.length)] as number;
        out.push(push(link, latin1(`\r\nOK\r\n+RECEIVE,${link},3\r\n`), false));
        this.sparePushes++;
      }
    }
    return out;
  }

  private pump(): void {
    if (this.writing) return;
    const chunk = this.outbox.shift();
    if (chunk === undefined) return;
    this.writing = true;
    setImmediate(() => {
      this.writing = false;
      if (!this.end.destroyed) this.end.write(chunk);
      this.pump();
    });
  }
}

/** A pushed block as the module prints it with HeaderType 1 (spec §3.2), `RECV FROM` first. */
function push(link: number, bytes: Buffer, udp: boolean): Buffer {
  const from = udp ? '\r\nRECV FROM:127.0.0.1:7' : '';
  return Buffer.concat([latin1(`${from}\r\n+RECEIVE,${link},${bytes.length}\r\n`), bytes]);
}
