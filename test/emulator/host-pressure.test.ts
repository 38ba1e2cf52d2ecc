import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { socketService } from '../../src/emulator/links.js';
import { HELD_URC_HIGH_WATER, EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { serveTcp } from '../../src/emulator/serve/tcp.js';
import { freePort, UdpPeer } from '../support/peers.js';

/**
 * Output pressure (issue 13 item 2): a host that does not read makes the module stop taking what
 * would go to it. UDP past the bound is dropped and counted (`udpDroppedForHost`, shown by
 * `ctl status`); the pressure ends once the host reads again. Loopback only, bounded waits.
 */

const WAIT_MS = 10_000;

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a TCP host that stops reading: UDP datagrams for it are dropped and counted, the pressure ends when it reads', async () => {
  const udp = await UdpPeer.start();
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  const endpoint = await serveTcp(modem, { port: 0 });
  const socket = connect({ host: '127.0.0.1', port: endpoint.port });
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (b: Buffer) => (received = (received + b.toString('latin1')).slice(-4096)));
  try {
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const localPort = await freePort('udp');
    socket.write(`ATE0\rAT+NETOPEN\r`);
    await until('NETOPEN', () => received.includes('+NETOPEN: 0'));
    socket.write(`AT+CIPOPEN=1,"UDP",,,${localPort}\r`);
    await until('CIPOPEN', () => received.includes('+CIPOPEN: 1,0'));
    socket.pause();
    const datagram = Buffer.alloc(1400, 'u');
    const service = socketService(modem);
    // Bounded: at most 40 MB sent, or until the module started dropping.
    for (let i = 0; i < 30_000 && service.udpDroppedForHost < 10; i++) {
      await udp.send(datagram, localPort);
      if (i % 64 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(modem.outputPressure, true);
    assert.ok(service.udpDroppedForHost >= 10, `dropped ${service.udpDroppedForHost}`);
    socket.resume();
    await until('the pressure ends', () => !modem.outputPressure);
    received = '';
    socket.write('AT\r');
    await until('AT answered', () => received.includes('\r\nOK\r\n'));
  } finally {
    socket.destroy();
    await endpoint.close();
    modem.reboot();
    udp.close();
  }
});

test('URCs held past HELD_URC_HIGH_WATER (behind a command, as behind a > prompt) put the module under pressure; draining them ends it', () => {
  const modem = new EmulatedModem({ config: { bootUrcs: false } });
  const changes: boolean[] = [];
  modem.on('output-pressure', (full) => changes.push(full));
  // A command runs: URCs wait meanwhile, as during a data phase (the flood tests hold a real prompt).
  modem.input(Buffer.from('AT\r'));
  const block = Buffer.alloc(1500, 'p');
  for (let i = 0; i * block.length <= HELD_URC_HIGH_WATER; i++) modem.urcRaw(block);
  assert.deepEqual(changes, [true]);
  assert.ok(modem.heldUrcLength > HELD_URC_HIGH_WATER);
  return new Promise<void>((resolve) => {
    setImmediate(() => {
      assert.deepEqual(changes, [true, false]);
      assert.equal(modem.heldUrcLength, 0);
      resolve();
    });
  });
});
