import fc from 'fast-check';
import type { DialectName } from '../../../src/emulator/dialect.js';
import { atPrefix, commandBody, racyBody } from './command-lines.js';

/**
 * A fuzz scenario: what the host, the peers and time do to one emulated module, step by step.
 * Steps hold no bytes that depend on the module's state; the session decides at run time which
 * connection a peer step means (modulo the connections made so far), so shrinking a scenario
 * keeps every step meaningful.
 */

/** How bytes reach the module: cut at these offsets (modulo the length), a pause (one event-loop turn) between pieces or not. */
export interface Delivery {
  readonly cuts: readonly number[];
  readonly paused: boolean;
}

/** What may happen while a command runs. */
export type Interrupt = 'reboot' | 'lose-network' | 'dtr-off' | 'peer-close' | 'advance';

export type PeerVerb = 'peer-send' | 'peer-close' | 'peer-reset' | 'hold-writes' | 'release-writes';

export type Step =
  /**
   * `<prefix><body><CR>` then `tail` right behind it (data of a send, an LF, another line); then,
   * while the command may still be running, an `interrupt`.
   */
  | {
      readonly kind: 'line';
      readonly prefix: string;
      readonly body: string;
      readonly tail: string;
      readonly delivery: Delivery;
      readonly interrupt?: Interrupt;
    }
  /** Raw bytes: noise in command mode, data in a data phase or in data mode. */
  | { readonly kind: 'bytes'; readonly bytes: string; readonly delivery: Delivery }
  /** End a data phase (ESC, then enough filler) or data mode (`+++` with guard times). */
  | { readonly kind: 'finish' }
  | { readonly kind: 'peer'; readonly verb: PeerVerb; readonly connection: number; readonly payload: string }
  | { readonly kind: 'udp-peer-send'; readonly socket: number; readonly port: number; readonly payload: string }
  /** A client connects to a listening server (AT+SERVERSTART). */
  | { readonly kind: 'peer-connect'; readonly listener: number }
  | { readonly kind: 'advance'; readonly ms: number }
  /** The host drops (false) or raises (true) DTR. */
  | { readonly kind: 'dtr'; readonly asserted: boolean }
  | { readonly kind: 'lose-network' }
  | { readonly kind: 'reboot' }
  /** Compare the link table with what CIPOPEN?, CIPCLOSE?, NETOPEN? and CIPRXGET=4 answer. */
  | { readonly kind: 'check' };

export interface Scenario {
  readonly dialect: DialectName;
  readonly steps: readonly Step[];
}

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

const delivery: fc.Arbitrary<Delivery> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Delivery>({ cuts: [], paused: false }) },
  { weight: 3, arbitrary: fc.record({ cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), paused: fc.boolean() }) },
);

/** Bytes the data phase and the line editor treat specially, and the letters that start a line. */
const SPECIAL = [0x00, 0x03, 0x08, 0x0a, 0x0d, 0x1a, 0x1b, 0x2b, 0x41, 0x54, 0x61, 0x74, 0x7f, 0xff];
const burstByte = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SPECIAL) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) });

const burst: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(burstByte, { maxLength: 48 }).map((b) => latin1(Uint8Array.from(b))) },
  { weight: 2, arbitrary: fc.constantFrom('\x1b', '\x1a', '\x03\x1a\x1b\x1a', 'hello\x1a', 'AT\r', 'at+csq\r\n', '+++') },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(1499, 1500, 1501, 1600), fc.constantFrom('x', '\x03\x1a')).map(([n, c]) => c.repeat(n).slice(0, n)) },
);

/** What follows the `<CR>` of a line in the same write. */
const tail: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constant('\n') },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 24 }).map((n) => 'd'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('data\x1a', '\x1b', 'AT\r', 'AT+CIPSEND=0,3\rabc', 'x\x03\x1ay\x1a') },
);

/** Peer payloads: lower-case letters and digits only, so no payload reads like a result code or a prompt. */
const payload: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9]{1,40}$/) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(1500, 1501, 4000, 20000), fc.constantFrom('p', 'q')).map(([n, c]) => c.repeat(n)) },
);

/**
 * A send on a link the preludes open (0 TCP, 2 UDP with a peer) with its data right behind the
 * line: all of it, part of it (the next steps complete it or not), Ctrl-Z terminated, or none.
 */
const sendLine: fc.Arbitrary<Step> = fc
  .tuple(
    fc.constantFrom(0, 0, 2),
    fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1500 }) }),
    fc.constantFrom('fixed', 'fixed', 'ctrl-z', 'partial', 'none'),
    fc.uint8Array({ maxLength: 1500 }),
  )
  .map(([link, length, form, bytes]) => {
    const data = Buffer.from(bytes).toString('latin1').padEnd(length, 'z').slice(0, length);
    const ctrlZ = form === 'ctrl-z';
    const tail = { fixed: data, 'ctrl-z': `${data.replace(/[\x03\x1a\x1b]/g, '')}\x1a`, partial: data.slice(0, length >> 1), none: '' }[form];
    return {
      kind: 'line',
      prefix: 'AT',
      body: ctrlZ ? `+CIPSEND=${link}` : `+CIPSEND=${link},${length}`,
      tail: tail ?? '',
      delivery: { cuts: [length >> 2, length >> 1], paused: length % 2 === 0 },
    };
  });

/** Reboots and network losses end everything built so far: rarer than the rest. */
const interrupt: fc.Arbitrary<Interrupt> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom<Interrupt>('reboot', 'lose-network') },
  { weight: 4, arbitrary: fc.constantFrom<Interrupt>('dtr-off', 'peer-close', 'advance') },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 45,
    arbitrary: fc.record(
      {
        kind: fc.constant('line' as const),
        prefix: atPrefix,
        body: commandBody,
        tail,
        delivery,
        interrupt: fc.oneof(
          { weight: 12, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: interrupt },
        ),
      },
      { requiredKeys: ['kind', 'prefix', 'body', 'tail', 'delivery'] },
    ),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('line' as const),
      prefix: fc.constant('AT'),
      body: racyBody,
      tail: fc.constant(''),
      delivery: fc.constant<Delivery>({ cuts: [], paused: false }),
      interrupt,
    }),
  },
  { weight: 10, arbitrary: sendLine },
  { weight: 7, arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: burst, delivery }) },
  { weight: 5, arbitrary: fc.constant<Step>({ kind: 'finish' }) },
  {
    weight: 15,
    arbitrary: fc.record({
      kind: fc.constant('peer' as const),
      verb: fc.constantFrom<PeerVerb>('peer-send', 'peer-send', 'peer-send', 'peer-close', 'peer-reset', 'hold-writes', 'release-writes'),
      connection: fc.nat({ max: 15 }),
      payload,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('udp-peer-send' as const),
      socket: fc.nat({ max: 7 }),
      port: fc.constantFrom(7, 5000),
      payload,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('peer-connect' as const), listener: fc.nat({ max: 5 }) }) },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(1, 10, 25, 100, 1000, 5000, 30000, 125000) }),
  },
  { weight: 3, arbitrary: fc.constant<Step>({ kind: 'check' }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('dtr' as const), asserted: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'lose-network' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'reboot' }) },
);

const line = (body: string): Step => ({ kind: 'line', prefix: 'AT', body, tail: '', delivery: { cuts: [], paused: false } });

/** Starts that reach deep states at once (the random steps get there only now and then). */
const PRELUDES: Readonly<Record<Prelude, readonly Step[]>> = {
  none: [],
  links: [
    line('+NETOPEN'),
    { kind: 'advance', ms: 25 },
    line('+CIPOPEN=0,"TCP","peer.test",80'),
    line('+CIPOPEN=1,"UDP",,,5000'),
    line('+CIPOPEN=2,"UDP","peer.test",7,5001'),
  ],
  transparent: [line('+CIPMODE=1'), line('+NETOPEN'), { kind: 'advance', ms: 25 }, line('+CIPOPEN=0,"TCP","peer.test",80')],
  'transparent-server': [
    line('+CIPMODE=1'),
    line('+NETOPEN'),
    { kind: 'advance', ms: 25 },
    line('+SERVERSTART=5000,0'),
    { kind: 'peer-connect', listener: 0 },
  ],
  server: [
    line('+NETOPEN'),
    { kind: 'advance', ms: 25 },
    line('+SERVERSTART=5000,0'),
    line('+SERVERSTART=5001,1'),
    { kind: 'peer-connect', listener: 0 },
    { kind: 'peer-connect', listener: 1 },
  ],
};

/** Now and then the service and three links come up again (after the resets and closes in between). */
const stepOrReopen: fc.Arbitrary<readonly Step[]> = fc.oneof(
  { weight: 25, arbitrary: step.map((s) => [s]) },
  { weight: 1, arbitrary: fc.constant(PRELUDES.links) },
);

type Prelude = 'none' | 'links' | 'transparent' | 'transparent-server' | 'server';

export function scenarioArbitrary(maxSteps: number): fc.Arbitrary<Scenario> {
  return fc
    .record({
      dialect: fc.constantFrom<DialectName>('a76xx', 'a76xx', 'app-note', 'sim7600'),
      prelude: fc.constantFrom<Prelude>('none', 'links', 'links', 'transparent', 'transparent-server', 'server'),
      // 'max': lengths spread up to maxSteps (fast-check's default keeps arrays short).
      steps: fc.array(stepOrReopen, { minLength: 1, maxLength: maxSteps, size: 'max' }),
    })
    .map(({ dialect, prelude, steps }) => ({ dialect, steps: [...PRELUDES[prelude], ...steps.flat()] }));
}
