/**
 * Module output for the driver fuzzers: payloads that look like framing, URC lines, well-formed
 * items (lines, pushed blocks, CIPRXGET reads) with the bytes the module prints for each and the
 * events the driver's parser must make of them, hostile byte soups, and ways to cut a stream.
 */
import fc from 'fast-check';

/** Fragments of the module's own framing: a payload made of them must still be taken as data. */
export const FRAMING_FRAGMENTS: readonly string[] = [
  '\r\n',
  '\r',
  '\n',
  'OK',
  '\r\nOK\r\n',
  '\r\nERROR\r\n',
  '+IPD5\r\n',
  '+IPD',
  '\r\n+IPD1500\r\n',
  'RECV FROM:127.0.0.1:5000\r\n',
  '+RECEIVE,1,3\r\n',
  '\r\n+CIPRXGET: 2,1,5,0\r\n',
  '+CIPRXGET: 3,0,2,0\r\n',
  '+CIPRXGET: 1,1\r\n',
  '>',
  '> ',
  '\r\n>',
  '\r\nCLOSED\r\n',
  '*ATREADY: 1\r\n',
  'RDY\r\n',
  '+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY\r\n',
  'CONNECT 115200\r\n',
  'AT+CSQ\r',
  '+++',
  '\x00',
  '\xff',
  '\x1a',
  '\x1b',
];

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Payload bytes: arbitrary values, framing look-alikes, runs of one byte, empty. */
export function payloadArbitrary(maxLength = 1500): fc.Arbitrary<Buffer> {
  const fragments = fc
    .array(fc.oneof(fc.constantFrom(...FRAMING_FRAGMENTS), fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('latin1'))), {
      maxLength: 40,
    })
    .map((parts) => latin1(parts.join('')).subarray(0, maxLength));
  return fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: Math.min(maxLength, 300) }).map((b) => Buffer.from(b)) },
    { weight: 4, arbitrary: fragments },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: maxLength - 20, maxLength }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: maxLength }), fc.integer({ min: 0, max: 255 })).map(([n, v]) => Buffer.alloc(n, v)) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  );
}

/** Unsolicited lines a module prints at any time (none of them ends a command or means a reboot). */
export const QUIET_URCS: readonly string[] = [
  'RING',
  '+CMTI: "SM",3',
  '+CREG: 1',
  '+CGEV: ME PDN ACT 1',
  '*PSUTTZ: 2026,1,1,0,0,0,"+32",0',
  '+CTZV: +32,0',
  'DST: 0',
  'SMS DONE',
  'PB DONE',
  '+CPIN: READY',
  '+CNSMOD: 8',
  '*ISIMAID: "A0000000871002FF86FF0389FFFFFFFF"',
  '+CIPRXGET: 1,3',
  '+IPCLOSE: 8,1',
];

/** Lines that look like data headers but are not believed as ones: delivered as plain lines. */
export const HEADER_LOOKALIKES: readonly string[] = [
  '+IPD',
  '+IPDx',
  '+IPD70000',
  '+RECEIVE,1',
  '+RECEIVE,1,',
  '+RECEIVE,1,99999999',
  '+CIPRXGET: 4,1,16',
  '+CIPRXGET: 2,1,5',
  '+CIPRXGET: 2,1,70000,0',
  'RECV FROM:',
];

/** One thing the module prints, complete. */
export type OutputItem =
  | { readonly kind: 'line'; readonly text: string }
  | { readonly kind: 'ipd'; readonly from: { address: string; port: number } | undefined; readonly urcBetween: string | undefined; readonly bytes: Buffer; readonly trailer: boolean }
  | { readonly kind: 'receive'; readonly link: number; readonly bytes: Buffer }
  | { readonly kind: 'rxget'; readonly mode: 2 | 3; readonly link: number; readonly rest: number; readonly bytes: Buffer };

const linkArbitrary = fc.integer({ min: 0, max: 9 });

export function itemArbitrary(): fc.Arbitrary<OutputItem> {
  const payload = payloadArbitrary();
  const from = fc.record({ address: fc.constantFrom('127.0.0.1', '10.1.2.3', '[::1]'), port: fc.integer({ min: 1, max: 65535 }) });
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...QUIET_URCS, ...HEADER_LOOKALIKES, 'OK', 'ERROR', '+CME ERROR: 10').map((text): OutputItem => ({ kind: 'line', text })) },
    {
      weight: 3,
      arbitrary: fc
        .record({ from: fc.option(from, { nil: undefined }), urcBetween: fc.option(fc.constantFrom(...QUIET_URCS), { nil: undefined, freq: 4 }), bytes: payload, trailer: fc.boolean() })
        .map((r): OutputItem => ({ kind: 'ipd', ...r })),
    },
    { weight: 3, arbitrary: fc.record({ link: linkArbitrary, bytes: payload }).map((r): OutputItem => ({ kind: 'receive', ...r })) },
    {
      weight: 3,
      arbitrary: fc
        .record({ mode: fc.constantFrom<2 | 3>(2, 3), link: linkArbitrary, rest: fc.integer({ min: 0, max: 100_000 }), bytes: payloadArbitrary(750) })
        .map((r): OutputItem => ({ kind: 'rxget', ...r })),
    },
  );
}

/** The bytes the module prints for an item (spec §3.2, §2.2.5). */
export function render(item: OutputItem): Buffer {
  switch (item.kind) {
    case 'line':
      return latin1(`\r\n${item.text}\r\n`);
    case 'ipd': {
      const from = item.from === undefined ? '' : `\r\nRECV FROM:${item.from.address}:${item.from.port}`;
      const between = item.urcBetween === undefined ? '' : `\r\n${item.urcBetween}`;
      return Buffer.concat([latin1(`${from}${between}\r\n+IPD${item.bytes.length}\r\n`), item.bytes, latin1(item.trailer ? '\r\n' : '')]);
    }
    case 'receive':
      return Buffer.concat([latin1(`\r\n+RECEIVE,${item.link},${item.bytes.length}\r\n`), item.bytes]);
    case 'rxget': {
      const head = latin1(`\r\n+CIPRXGET: ${item.mode},${item.link},${item.bytes.length},${item.rest}\r\n`);
      const body = item.mode === 2 ? item.bytes : latin1(item.bytes.toString('hex').toUpperCase());
      return Buffer.concat([head, body, latin1('\r\n\r\nOK\r\n')]);
    }
  }
}

/** The parser events of an item, in the compact form of `describe` (test/at/support/parser-drive.ts). */
export function expectedEvents(item: OutputItem): string[] {
  const text = (b: Buffer): string => JSON.stringify(b.toString('latin1'));
  switch (item.kind) {
    case 'line':
      return [`line ${item.text}`];
    case 'ipd': {
      // A line between `RECV FROM` and `+IPD` makes the source unknown (it no longer precedes the header).
      const from = item.from === undefined || item.urcBetween !== undefined ? '-' : `${item.from.address.replace(/^\[(.*)\]$/, '$1')}:${item.from.port}`;
      return [...(item.urcBetween === undefined ? [] : [`line ${item.urcBetween}`]), `push ipd link=- from=${from} ${text(item.bytes)}`];
    }
    case 'receive':
      return [`push receive link=${item.link} from=- ${text(item.bytes)}`];
    case 'rxget':
      return [`rxget ${item.mode} link=${item.link} rest=${item.rest} ${text(item.bytes)}`, 'line OK'];
  }
}

/** Bytes with no structure the driver can rely on: framing fragments, bytes, long lines. */
export function soupArbitrary(maxParts = 60): fc.Arbitrary<Buffer> {
  return fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...FRAMING_FRAGMENTS, ...HEADER_LOOKALIKES.map((l) => `\r\n${l}\r\n`), '\r\n+IPD3\r\n', '\r\n+CIPRXGET: 3,1,4,0\r\n') },
        { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')) },
        { weight: 1, arbitrary: fc.constantFrom(...QUIET_URCS).map((u) => `\r\n${u}\r\n`) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => 'x'.repeat(n)) },
      ),
      { maxLength: maxParts },
    )
    .map((parts) => latin1(parts.join('')));
}

/** How a stream is cut into the chunks the transport delivers. */
export type Chunking = { readonly kind: 'whole' } | { readonly kind: 'bytes' } | { readonly kind: 'sizes'; readonly sizes: readonly number[] };

export const chunkingArbitrary: fc.Arbitrary<Chunking> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Chunking>({ kind: 'whole' }) },
  { weight: 1, arbitrary: fc.constant<Chunking>({ kind: 'bytes' }) },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 2000 })), { minLength: 1, maxLength: 20 })
      .map((sizes): Chunking => ({ kind: 'sizes', sizes })),
  },
);

/** Cut `bytes` per `chunking` (sizes are used in turn, cyclically). */
export function cutBytes(bytes: Buffer, chunking: Chunking): Buffer[] {
  if (bytes.length === 0) return [];
  if (chunking.kind === 'whole') return [bytes];
  const out: Buffer[] = [];
  let pos = 0;
  let i = 0;
  while (pos < bytes.length) {
    const size = chunking.kind === 'bytes' ? 1 : (chunking.sizes[i++ % chunking.sizes.length] as number);
    out.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}
