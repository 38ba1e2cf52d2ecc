import fc from 'fast-check';
import { COMMANDS } from '../../../src/emulator/commands/index.js';
import { MAX_LINE } from '../../../src/emulator/line-editor.js';

/**
 * Command lines for the engine fuzzer, as the text after `AT` (latin-1, no `<CR>`): commands the
 * engine knows (its `COMMANDS` table) with random forms and parameters, socket commands with
 * parameters that reach deep states (open links, data phases, buffered reads), and the same lines
 * mutated, lower-cased, spaced out, chained with `;` and stretched past the line limit.
 */

/** Host names the FuzzNetwork answers in every way (accepts, refuses, hangs, never resolves, unknown, slowly). */
export const HOSTS = ['peer.test', 'refuse.test', 'hang.test', 'slowdns.test', 'nowhere.test', 'delayed.test', 'slow.test', '192.0.2.1'];

const NAMES = [...COMMANDS.keys()].map((name) => (name === 'S' ? 'S0' : name));

const link = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 2 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 9 }) },
  { weight: 1, arbitrary: fc.constantFrom(10, 99, 4294967296, 99999999999) },
);
const port = fc.oneof(fc.constantFrom(80, 1, 65535, 5000), fc.constantFrom(0, 65536, 123456));
const localPort = fc.oneof(fc.constantFrom(0, 5000, 5001, 6000), fc.constantFrom(65535, 65536));
const sendLength = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 20 }) },
  { weight: 2, arbitrary: fc.constantFrom(1, 1500, 1499) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1501, 99999) },
);
const host = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...HOSTS) }, { weight: 1, arbitrary: fc.constantFrom('', 'a'.repeat(300), 'bad name!') });
const hex = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.from(b).toString('hex')),
  fc.constantFrom('', 'ABC', 'zz', 'A'.repeat(502)),
);

/** One parameter of any shape: numbers in and out of range, quoted and bare words, empty. */
const anyParam = fc.oneof(
  fc.constantFrom('0', '1', '2', '3', '5', '9', '10', '255', '1500', '1501', '65535', '65536', '4294967296', '-1', '007'),
  fc.integer({ min: 0, max: 130000 }).map(String),
  fc.constantFrom('', ' ', '"TCP"', '"UDP"', '"UDPSERVER"', '"IP"', '""', '"ON"', 'OFF', '"DATAECHO"', '"transwaittm"', 'TCP'),
  fc.constantFrom(...HOSTS).map((h) => `"${h}"`),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019 .,;=?"+'.split('')), maxLength: 8 }),
);

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

/** Socket-service commands with parameters that make things happen. */
const socketCommand: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: pick('+NETOPEN', '+NETOPEN?', '+NETCLOSE', '+IPADDR', '+CIPOPEN?', '+CIPCLOSE?', 'O', '+SERVERSTART?') },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.tuple(fc.constantFrom(0, 5000, 5001, 65536), fc.integer({ min: 0, max: 4 })).map(([p, n]) => `+SERVERSTART=${p},${n}`),
      fc.integer({ min: 0, max: 4 }).map((n) => `+SERVERSTOP=${n}`),
    ),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(link, host, port, fc.option(localPort, { nil: undefined }))
      .map(([n, h, p, l]) => `+CIPOPEN=${n},"TCP","${h}",${p}${l === undefined ? '' : `,${l}`}`),
  },
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.tuple(link, localPort).map(([n, l]) => `+CIPOPEN=${n},"UDP",,,${l}`),
      fc.tuple(link, host, port, localPort).map(([n, h, p, l]) => `+CIPOPEN=${n},"UDP","${h}",${p},${l}`),
      fc.tuple(link, localPort).map(([n, l]) => `+CIPOPEN=${n},"UDPSERVER",,,${l}`),
    ),
  },
  {
    weight: 8,
    arbitrary: fc.oneof(
      fc.tuple(link, sendLength).map(([n, len]) => `+CIPSEND=${n},${len}`),
      link.map((n) => `+CIPSEND=${n}`),
      fc.tuple(link, sendLength, host, port).map(([n, len, h, p]) => `+CIPSEND=${n},${len},"${h}",${p}`),
      fc.tuple(link, host, port).map(([n, h, p]) => `+CIPSEND=${n},,"${h}",${p}`),
      fc.tuple(link, hex).map(([n, x]) => `+CIPSENDSTR=${n},"${x}"`),
    ),
  },
  {
    weight: 5,
    arbitrary: fc.oneof(
      fc.constantFrom(0, 1, 5).map((m) => `+CIPRXGET=${m}`),
      fc.tuple(fc.constantFrom(2, 3), link, fc.option(sendLength, { nil: undefined })).map(
        ([m, n, len]) => `+CIPRXGET=${m},${n}${len === undefined ? '' : `,${len}`}`,
      ),
      link.map((n) => `+CIPRXGET=4,${n}`),
    ),
  },
  { weight: 3, arbitrary: fc.tuple(pick('+CIPCLOSE', '+CIPACK'), link).map(([name, n]) => `${name}=${n}`) },
  {
    weight: 3,
    arbitrary: pick(
      '+CIPSENDMODE=1',
      '+CIPSENDMODE=0',
      '+CIPHEAD=0',
      '+CIPHEAD=1',
      '+CIPSRIP=0',
      '+CIPSRIP=1',
      '+CIPCCFG=10,0,0,1,1,0,500,1',
      '+CIPCCFG=,100',
      '+CIPCCFG=,,,,0',
      '+CIPCCFG',
      '+CIPTIMEOUT=3000,3000,3000',
      '+CIPTIMEOUT',
      '+CIPCFG="DATAECHO","ON"',
      '+CIPCFG="DATAECHO","OFF"',
      '+CIPMODE=1',
      '+CIPMODE=0',
      '+CTCPKA=1,1',
      '+CDNSGIP="peer.test"',
      '+CDNSGIP="slowdns.test"',
      '+CDNSGIP="nowhere.test"',
    ),
  },
  { weight: 6, arbitrary: fc.tuple(pick(0, 2), fc.option(sendLength, { nil: undefined })).map(([n, len]) => `+CIPSEND=${n}${len === undefined ? '' : `,${len}`}`) },
  {
    weight: 1,
    arbitrary: pick('+CFUN=0', '+CFUN=1', '+CFUN=4', '+CFUN=1,1', '+CFUN=7', '+CGATT=0', '+CGATT=1', '+CGACT=0,1', '+CGACT=1,1', '+CPIN="1234"', '+CRESET', '+CPOF', '+AUTOCSQ=1,0'),
  },
  { weight: 2, arbitrary: pick('E0', 'E1', 'V0', 'V1', 'Q0', 'Q1', 'X0', '&F', 'Z', '&W', '+CMEE=2', '+CMEE=0', 'I', '&V', 'S0?', 'S3=13') },
);

/** Any command the engine knows, in a random form with random parameters. */
const knownCommand: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...NAMES), fc.constantFrom('exec', 'read', 'test', 'set'), fc.array(anyParam, { maxLength: 6 }))
  .map(([name, form, params]) => {
    if (form === 'read') return `${name}?`;
    if (form === 'test') return `${name}=?`;
    if (form === 'exec') return name;
    return `${name}=${params.join(',')}`;
  });

/** Names the engine does not know, and broken syntax. */
const strangeCommand = fc.constantFrom('+CSQX', '+', '&', 'S', '+CIOPEN=0,"TCP","peer.test",80', '+NETCLOS', '=', '?', '+CSQ??', '+CSQ=??', '^X', '$Q', '*Z', '+CSQ "x"', '"');

const command = fc.oneof(
  { weight: 6, arbitrary: socketCommand },
  { weight: 4, arbitrary: knownCommand },
  { weight: 1, arbitrary: strangeCommand },
);

/** Up to four commands chained with `;`, sometimes with spaces. */
const chained = fc
  .tuple(fc.array(command, { minLength: 1, maxLength: 4 }), fc.constantFrom(';', '; ', ';;'))
  .map(([commands, separator]) => commands.join(separator));

/** A random upper/lower case for the letters outside quotes (quoted strings keep their case). */
function recase(text: string, mask: number): string {
  let quoted = false;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '"') quoted = !quoted;
    out += !quoted && ((mask >>> i % 31) & 1) === 1 ? c.toLowerCase() : c;
  }
  return out;
}

const MUTATION_BYTES = '",;=? \x08\x7f\x00\xff\x1a\x1b\x03\n0123456789aAtT+'.split('');

type Edit = { at: number; kind: 'insert' | 'delete' | 'replace' | 'duplicate'; text: string; span: number };

const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('insert', 'delete', 'replace', 'duplicate'),
  text: fc.oneof(fc.constantFrom(...MUTATION_BYTES), fc.constantFrom('AT', '"', '\r', ',,', '=?')),
  span: fc.integer({ min: 1, max: 8 }),
});

function applyEdit(text: string, e: Edit): string {
  if (text.length === 0) return e.kind === 'insert' || e.kind === 'replace' ? e.text : text;
  const at = e.at % text.length;
  switch (e.kind) {
    case 'insert':
      return text.slice(0, at) + e.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + e.span);
    case 'replace':
      return text.slice(0, at) + e.text + text.slice(at + 1);
    case 'duplicate':
      return text.slice(0, at + e.span) + text.slice(at, at + e.span) + text.slice(at + e.span);
  }
}

/** Bodies longer than the 3071-character limit, and right at it. */
const overlong = fc
  .tuple(command, fc.constantFrom(MAX_LINE - 10, MAX_LINE + 1, MAX_LINE + 50), fc.constantFrom('x', '"', ',', ' '))
  .map(([c, length, fill]) => (c + fill.repeat(length)).slice(0, length));

/** The text after `AT` of one command line. */
export const commandBody: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof({ weight: 12, arbitrary: chained }, { weight: 1, arbitrary: overlong }, { weight: 1, arbitrary: fc.constant('') }),
    fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat() }),
    fc.oneof({ weight: 5, arbitrary: fc.constant([] as Edit[]) }, { weight: 2, arbitrary: fc.array(edit, { minLength: 1, maxLength: 3 }) }),
  )
  .map(([body, caseMask, edits]) => edits.reduce(applyEdit, recase(body, caseMask)));

/** The `AT` prefix in any case (the line editor accepts all four). */
export const atPrefix = fc.oneof({ weight: 6, arbitrary: fc.constant('AT') }, { weight: 1, arbitrary: fc.constantFrom('at', 'At', 'aT') });

/**
 * Commands that leave something under way after they are typed (a name to resolve, a connect, a
 * send to confirm, a service to bring up or down), on links the other steps rarely hold: the
 * scenarios follow them with an interrupt, to hit the windows where a close, a network loss or a
 * reboot meets the work in flight.
 */
export const racyBody: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 3, max: 9 }), fc.constantFrom('delayed.test', 'slow.test', 'hang.test', 'peer.test'), fc.constantFrom('TCP', 'UDP'))
    .map(([n, h, type]) => (type === 'TCP' ? `+CIPOPEN=${n},"TCP","${h}",80` : `+CIPOPEN=${n},"UDP","${h}",7,0`)),
  fc.constantFrom(
    '+CDNSGIP="delayed.test"',
    '+CIPSEND=1,3,"delayed.test",7;+CIPCLOSE=1',
    '+CIPSENDSTR=0,"414243"',
    '+NETOPEN',
    '+NETCLOSE',
    '+SERVERSTART=0,2',
    '+CIPCLOSE=0',
    '+CIPOPEN=3,"TCP","slow.test",80;+CIPCLOSE=3',
    '+CIPOPEN=4,"TCP","slow.test",80;+NETCLOSE',
    '+CIPOPEN=5,"UDP","delayed.test",7,0;+NETCLOSE',
  ),
);

