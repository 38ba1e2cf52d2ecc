import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCchDataHeader, parseCchDataHeader, parseCchRecvEvent, parseCchRecvLen, parseCchResult, formatCchRecvLen, formatCchResult, formatCchRecvEvent, parseCchPeerClosed, formatCchPeerClosed } from '../../src/at/ssl.js';
import { ModuleOutputParser, type ModuleEvent } from '../../src/at/module-output-framer.js';
import { frames } from '../../src/emulator/ssl/service.js';

/** The driver's framer on the SSL service's output, cut at every byte boundary. */
function parse(chunks: readonly Buffer[]): string[] {
  const events: ModuleEvent[] = [];
  const parser = new ModuleOutputParser((e) => events.push(e));
  for (const chunk of chunks) parser.feed(chunk);
  return events.map((e) => (e.kind === 'cch' ? `cch ${e.session} ${JSON.stringify(e.bytes.toString('latin1'))}` : e.kind === 'line' ? `line ${e.text}` : e.kind));
}

test('+CCHRECV: DATA frames: payload sliced by length (CR LF, OK and headers inside stay data), split anywhere', () => {
  const payload = Buffer.from('\r\nOK\r\n+CCHRECV: DATA,0,5\r\n+CCH_PEER_CLOSED: 0\r\n\x00\xff', 'latin1');
  const stream = Buffer.concat([
    ...frames(1, payload, true),
    Buffer.from('\r\n+CCHRECV: 1,0\r\n\r\n+CCH_PEER_CLOSED: 1\r\n', 'latin1'),
    ...frames(0, Buffer.alloc(0), true),
  ]);
  const whole = parse([stream]);
  assert.deepEqual(whole, [`cch 1 ${JSON.stringify(payload.toString('latin1'))}`, 'line +CCHRECV: 1,0', 'line +CCH_PEER_CLOSED: 1']);
  for (let cut = 1; cut < stream.length; cut++) {
    assert.deepEqual(parse([stream.subarray(0, cut), stream.subarray(cut)]), whole, `cut at ${cut}`);
  }
  assert.deepEqual(parse(Array.from(stream, (b) => Buffer.from([b]))), whole);
});

test('frames of at most 1024 bytes; a header announcing more than the parser believes is a plain line', () => {
  const data = Buffer.alloc(2500, 0x61);
  const out = frames(0, data, true).map((f) => f.toString('latin1'));
  assert.equal(out.length, 3);
  assert.ok(out[0]?.startsWith('\r\n+CCHRECV: DATA,0,1024\r\n'));
  assert.ok(out[2]?.startsWith('\r\n+CCHRECV: DATA,0,452\r\n'));
  assert.deepEqual(parse([Buffer.from('\r\n+CCHRECV: DATA,0,99999999\r\nxyz\r\n')]), ['line +CCHRECV: DATA,0,99999999', 'line xyz']);
});

test('format/parse pairs of src/at/ssl.ts agree', () => {
  assert.deepEqual(parseCchDataHeader(formatCchDataHeader(1, 77)), { session: 1, length: 77 });
  assert.deepEqual(parseCchRecvLen(formatCchRecvLen([5, 0])), [5, 0]);
  assert.deepEqual(parseCchResult(formatCchResult('CCHSEND', 0, 15), 'CCHSEND'), { session: 0, err: 15 });
  assert.equal(parseCchResult('+CCHOPEN: 0,"",,,', 'CCHOPEN'), undefined);
  assert.equal(parseCchRecvEvent(formatCchRecvEvent(1)), 1);
  assert.equal(parseCchRecvEvent('+CCHEVENT: 0,RECVEVENT'), 0); // the manual's text layer drops the space
  assert.equal(parseCchPeerClosed(formatCchPeerClosed(0)), 0);
});
