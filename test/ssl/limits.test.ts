import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { CCHRECV_FRAME_MAX } from '../../src/at/ssl.js';
import { FakeClock } from '../../src/emulator/clock.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { CERT_STORE_MAX_BYTES, CERT_STORE_MAX_FILES } from '../../src/emulator/ssl/cert-store.js';
import { RECV_CACHE_LIMIT } from '../../src/emulator/ssl/session.js';
import { Host } from './host.js';
import { makePki, type Pki } from './pki.js';
import { TlsPeer } from './tls-peer.js';

/** The SSL service's bounds, each flooded: the certificate store, the receive cache, the handshake time. */
const T = { timeout: 30_000 };
let pki: Pki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

function emulated(clock?: FakeClock): { modem: EmulatedModem; host: Host } {
  const network = new RealNetwork({ hosts: new Map([['server.test', '127.0.0.1']]), staticOnly: true });
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network, ...(clock !== undefined ? { clock } : {}) });
  return { modem, host: new Host(modem) };
}

async function download(host: Host, name: string, bytes: Buffer): Promise<string> {
  host.send(`AT+CCERTDOWN="${name}",${bytes.length}\r`);
  const prompt = await host.take(/\r\n>|\r\nERROR\r\n/);
  if (prompt.endsWith('ERROR\r\n')) return 'ERROR';
  host.send(bytes);
  return (await host.take(/\r\n(OK|ERROR)\r\n/)).trim().split('\r\n').pop() as string;
}

test('certificate store: at most CERT_STORE_MAX_FILES files and CERT_STORE_MAX_BYTES bytes; a full store answers ERROR before the prompt; files survive reboot', T, async () => {
  const { modem, host } = emulated();
  try {
    const file = Buffer.alloc(CERT_STORE_MAX_BYTES / CERT_STORE_MAX_FILES, 0x41);
    for (let i = 0; i < CERT_STORE_MAX_FILES; i++) assert.equal(await download(host, `f${String(i).padStart(4, '0')}.pem`, file), 'OK');
    assert.equal(await download(host, 'extra.pem', Buffer.from('x')), 'ERROR');
    // Replacing a stored file of the same size fits; one byte more does not.
    assert.equal(await download(host, 'f0000.pem', file), 'OK');
    assert.equal(await download(host, 'f0000.pem', Buffer.alloc(file.length + 1, 0x42)), 'ERROR');
    modem.reboot();
    await host.take('PB DONE\r\n');
    host.output = Buffer.alloc(0);
    const list = await host.at('AT+CCERTLIST');
    assert.equal(list.match(/\+CCERTLIST: /g)?.length, CERT_STORE_MAX_FILES);
    assert.match(await host.at('AT+CCERTDELE="f0001.pem"'), /OK/);
    assert.equal(await download(host, 'extra.pem', Buffer.from('x')), 'OK');
  } finally {
    modem.reboot();
  }
});

test('manual receive: a server flooding 1 MiB meets back-pressure (the cache stays near RECV_CACHE_LIMIT); every byte arrives in order', T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  const { modem, host } = emulated();
  try {
    await host.at('ATE0');
    await host.at('AT+CCHSET=1,1');
    await host.at('AT+CCHSTART');
    await host.take('+CCHSTART: 0\r\n');
    await host.at(`AT+CCHOPEN=0,"127.0.0.1",${peer.port},2`);
    await host.take('+CCHOPEN: 0,0\r\n');
    const server = await peer.connection(0);
    const total = 1024 * 1024;
    const flood = Buffer.from(Array.from({ length: total }, (_, i) => (i * 7) % 256));
    server.socket.write(flood);
    await host.take('+CCHEVENT: 0,RECV EVENT\r\n');
    // Let the flood run into the cache's limit (the rest waits in the socket buffers, or at the server).
    await new Promise((r) => setTimeout(r, 300));
    const cached = modem.ssl.session(0)?.cached ?? 0;
    assert.ok(cached >= RECV_CACHE_LIMIT, `cache filled: ${cached}`);
    assert.ok(cached < RECV_CACHE_LIMIT + 64 * 1024, `cache bounded: ${cached}`);
    const got: Buffer[] = [];
    let received = 0;
    for (let reads = 0; received < total && reads < 2000; reads++) {
      host.send('AT+CCHRECV=0,2048\r');
      const text = await host.take(/\r\n(OK|\+CCHRECV: 0,11\r\n\r\nERROR)\r\n/);
      if (text.includes('ERROR')) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      for (;;) {
        const frame = await host.take(/\r\n\+CCHRECV: (DATA,0,\d+|0,0)\r\n/);
        const m = /DATA,0,(\d+)\r\n$/.exec(frame);
        if (m === null) break;
        const length = Number(m[1]);
        assert.ok(length <= CCHRECV_FRAME_MAX);
        while (host.output.length < length) await new Promise((r) => setTimeout(r, 1));
        got.push(Buffer.from(host.output.subarray(0, length)));
        host.output = host.output.subarray(length);
        received += length;
      }
    }
    assert.equal(received, total);
    assert.ok(Buffer.concat(got).equals(flood));
  } finally {
    modem.reboot();
    peer.close();
  }
});

test('negotiatetime: a server that never answers the ClientHello fails the open with 5 after the context\'s seconds (fake clock)', T, async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const port = (silent.address() as { port: number }).port;
  const clock = new FakeClock();
  const { modem, host } = emulated(clock);
  try {
    await host.at('ATE0');
    await host.at('AT+CSSLCFG="negotiatetime",0,10');
    await host.at('AT+CCHSTART');
    clock.advance(1000);
    await host.take('+CCHSTART: 0\r\n');
    await host.at(`AT+CCHOPEN=0,"127.0.0.1",${port},2`);
    const deadline = Date.now() + 5000;
    while (sockets.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(9_999);
    await new Promise((r) => setTimeout(r, 20));
    assert.doesNotMatch(host.output.toString('latin1'), /CCHOPEN/);
    clock.advance(1);
    await host.take('+CCHOPEN: 0,5\r\n');
    // The slot is free again.
    assert.match(await host.at('AT+CCHOPEN?'), /\+CCHOPEN: 0,"",,,/);
  } finally {
    modem.reboot();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
