import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RX_BUFFER_LIMIT } from '../../src/emulator/links.js';
import { TestHost } from './engine/host.js';
import { FUZZ_SEED, runs } from './settings.js';

/**
 * No byte lost, duplicated or reordered: whatever the peer sends reaches the host exactly once, in
 * order, in push mode, in buffer mode (with back-pressure) and in data mode; whatever the host
 * sends in data mode reaches the peer. The module's answers are checked against a model of the
 * bytes in flight.
 */

const options = (numRuns: number) => ({ seed: FUZZ_SEED, numRuns: runs(numRuns) });
const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** Peer payloads: mostly small, sometimes more than a push block or a good part of the receive buffer. */
const payload = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 1400, maxLength: 3200 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 10_000, max: 40_000 }), fc.integer({ min: 0, max: 255 })).map(([n, b]) => new Uint8Array(n).fill(b)) },
);

async function openService(host: TestHost): Promise<void> {
  await host.expect('ATE0', 'ATE0\r\r\nOK\r\n');
  await host.expect('AT+NETOPEN', '\r\nOK\r\n');
  await host.advance(25);
  assert.equal(host.take().toString('latin1'), '\r\n+NETOPEN: 0\r\n');
}

test('buffer mode: CIPRXGET=2/3 read every byte once, in order; CIPRXGET=4 and back-pressure follow the buffer', async () => {
  type Op = { kind: 'send'; data: Uint8Array } | { kind: 'raw' | 'hex'; length: number | undefined } | { kind: 'size' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: payload.map((data): Op => ({ kind: 'send', data })) },
    { weight: 3, arbitrary: fc.option(fc.integer({ min: 1, max: 1500 }), { nil: undefined }).map((length): Op => ({ kind: 'raw', length })) },
    { weight: 1, arbitrary: fc.option(fc.integer({ min: 1, max: 750 }), { nil: undefined }).map((length): Op => ({ kind: 'hex', length })) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'size' }) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const host = new TestHost();
      await openService(host);
      await host.expect('AT+CIPRXGET=1', '\r\nOK\r\n');
      await host.expect('AT+CIPOPEN=1,"TCP","peer.test",80', '\r\nOK\r\n\r\n+CIPOPEN: 1,0\r\n');
      const connection = host.network.connection(0);
      let queued = Buffer.alloc(0);
      for (const o of ops) {
        if (o.kind === 'send') {
          if (connection.paused) continue; // TCP flow control holds the peer back
          const wasEmpty = queued.length === 0;
          connection.peerSend(Buffer.from(o.data));
          queued = Buffer.concat([queued, o.data]);
          assert.equal(host.take().toString('latin1'), wasEmpty ? '\r\n+CIPRXGET: 1,1\r\n' : '');
        } else if (o.kind === 'size') {
          await host.expect('AT+CIPRXGET=4,1', `\r\n+CIPRXGET: 4,1,${queued.length}\r\n\r\nOK\r\n`);
        } else {
          const mode = o.kind === 'raw' ? 2 : 3;
          const got = await host.type(`AT+CIPRXGET=${mode},1${o.length === undefined ? '' : `,${o.length}`}`);
          if (queued.length === 0) {
            assert.match(got, /^\r\n\+IP ERROR: [^\r\n]+\r\n\r\nERROR\r\n$/);
            continue;
          }
          const n = Math.min(o.length ?? (mode === 2 ? 1500 : 750), queued.length);
          const data = queued.subarray(0, n);
          queued = queued.subarray(n);
          const head = `\r\n+CIPRXGET: ${mode},1,${n},${queued.length}\r\n`;
          const body = mode === 2 ? `${latin1(data)}\r\n` : `${data.toString('hex').toUpperCase()}\r\n`;
          assert.equal(got, `${head}${body}\r\nOK\r\n`);
        }
        assert.equal(connection.paused, queued.length >= RX_BUFFER_LIMIT, `paused with ${queued.length} bytes waiting`);
      }
      assert.deepEqual(host.logged, []);
    }),
    options(150),
  );
});

test('push mode: every byte arrives once, in order, in blocks of at most 1500 with the configured header', async () => {
  type Op = { kind: 'send'; data: Uint8Array } | { kind: 'set'; line: 'AT+CIPHEAD=0' | 'AT+CIPHEAD=1' | 'AT+CIPSRIP=0' | 'AT+CIPSRIP=1' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: payload.map((data): Op => ({ kind: 'send', data })) },
    { weight: 1, arbitrary: fc.constantFrom('AT+CIPHEAD=0', 'AT+CIPHEAD=1', 'AT+CIPSRIP=0', 'AT+CIPSRIP=1').map((line): Op => ({ kind: 'set', line })) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
      const host = new TestHost();
      await openService(host);
      await host.expect('AT+CIPOPEN=1,"TCP","peer.test",80', '\r\nOK\r\n\r\n+CIPOPEN: 1,0\r\n');
      const connection = host.network.connection(0);
      let head = true;
      let source = true;
      for (const o of ops) {
        if (o.kind === 'set') {
          await host.expect(o.line, '\r\nOK\r\n');
          if (o.line.startsWith('AT+CIPHEAD')) head = o.line.endsWith('1');
          else source = o.line.endsWith('1');
          continue;
        }
        connection.peerSend(Buffer.from(o.data));
        let expected = '';
        for (let at = 0; at < o.data.length; at += 1500) {
          const block = o.data.subarray(at, at + 1500);
          const lines = `${source ? 'RECV FROM:192.0.2.1:80\r\n' : ''}${head ? `+IPD${block.length}\r\n` : ''}`;
          expected += `${lines === '' ? '' : '\r\n'}${lines}${latin1(block)}`;
        }
        assert.equal(host.take().toString('latin1'), expected);
      }
      assert.deepEqual(host.logged, []);
    }),
    options(150),
  );
});

test('data mode: every byte crosses both ways, whatever the chunks and the pauses between them', async () => {
  // No `+` in the host's data: with pauses shorter than the guard time it could not escape
  // anyway, but the detector holds candidate `+` back until it knows, which the model ignores.
  type Op = { kind: 'host'; data: Uint8Array } | { kind: 'peer'; data: Uint8Array } | { kind: 'pause'; ms: number };
  const hostData = fc.uint8Array({ minLength: 1, maxLength: 600 }).map((b) => b.map((x) => (x === 0x2b ? 0x2a : x)));
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: hostData.map((data): Op => ({ kind: 'host', data })) },
    { weight: 3, arbitrary: payload.map((data): Op => ({ kind: 'peer', data })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 900 }).map((ms): Op => ({ kind: 'pause', ms })) },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
      const host = new TestHost();
      await host.expect('ATE0', 'ATE0\r\r\nOK\r\n');
      await host.expect('AT+CIPMODE=1', '\r\nOK\r\n');
      await host.expect('AT+NETOPEN', '\r\nOK\r\n');
      await host.advance(25);
      host.take();
      await host.expect('AT+CIPOPEN=0,"TCP","peer.test",80', '\r\nCONNECT 115200\r\n');
      const connection = host.network.connection(0);
      const sent: Uint8Array[] = [];
      const received: Uint8Array[] = [];
      for (const o of ops) {
        if (o.kind === 'host') {
          sent.push(o.data);
          await host.write(Buffer.from(o.data));
        } else if (o.kind === 'peer') {
          received.push(o.data);
          connection.peerSend(Buffer.from(o.data));
        } else {
          await host.advance(o.ms);
        }
      }
      await host.advance(1001);
      await host.write('+++');
      await host.advance(1001);
      assert.equal(host.take().toString('latin1'), `${latin1(Buffer.concat(received))}\r\nOK\r\n`);
      // An LF first after CONNECT ends the CIPOPEN line (`<CR><LF>`), as in command mode (transparent.ts).
      const data = Buffer.concat(sent);
      const expected = data[0] === 0x0a ? data.subarray(1) : data;
      assert.ok(Buffer.concat(connection.written).equals(expected), 'the peer got what the host sent');
      assert.deepEqual(host.logged, []);
    }),
    options(150),
  );
});
