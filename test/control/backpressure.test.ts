import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HIGH_WATER } from '../../src/emulator/serve/pacing.js';
import { startRig } from './rig.js';

/**
 * A paced line that falls behind holds the network back: what waits for the UART stays bounded,
 * the peer feels TCP back-pressure, and every byte still arrives, in order.
 */
test('back-pressure: a fast download on a paced line keeps the backlog bounded and loses nothing', { timeout: 15_000 }, async () => {
  const rig = await startRig();
  const { line, modem, network } = rig.target;
  try {
    let received = Buffer.alloc(0);
    line.on('output', (bytes) => (received = Buffer.concat([received, bytes])));
    const command = async (text: string, until: string): Promise<void> => {
      const from = received.length;
      line.input(Buffer.from(`${text}\r`));
      for (let i = 0; i < 300 && !received.subarray(from).includes(until); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(received.subarray(from).includes(until), `${text}: no ${JSON.stringify(until)}`);
    };
    await command('ATE0', 'OK');
    await command('AT+CIPSRIP=0', 'OK');
    await command('AT+NETOPEN', '+NETOPEN: 0');
    await command(`AT+CIPOPEN=0,"TCP","127.0.0.1",${rig.vars.TCP_PORT}`, '+CIPOPEN: 0,0');
    const peer = await rig.tcp.connection(0);
    await rig.client.invoke('baud', { rate: 921600 });

    const size = 160 * 1024;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
    const start = received.length;
    let maxBacklog = 0;
    let held = false;
    const sampler = setInterval(() => {
      maxBacklog = Math.max(maxBacklog, line.pacer.backlog);
      held ||= network?.holdingDelivery === true;
    }, 2);
    await peer.send(payload);
    // At 92 160 bytes a second, the 160 KiB (plus +IPD headers) take about 1.8 s.
    const data = (): Buffer => {
      const parts: Buffer[] = [];
      const text = received.subarray(start);
      let at = 0;
      for (;;) {
        const head = text.indexOf('+IPD', at);
        if (head < 0) break;
        const eol = text.indexOf('\r\n', head);
        if (eol < 0) break;
        const length = Number(text.subarray(head + 4, eol).toString());
        if (eol + 2 + length > text.length) break;
        parts.push(text.subarray(eol + 2, eol + 2 + length));
        at = eol + 2 + length;
      }
      return Buffer.concat(parts);
    };
    for (let i = 0; i < 600 && data().length < size; i++) await new Promise((r) => setTimeout(r, 10));
    clearInterval(sampler);
    assert.equal(data().length, size, 'every byte arrived');
    assert.ok(data().equals(payload), 'in order, intact');
    assert.ok(held, 'the network was held back at some point');
    assert.ok(maxBacklog <= DEFAULT_HIGH_WATER + 64 * 1024 + 1600, `backlog peaked at ${maxBacklog} bytes`);
    assert.equal(network?.holdingDelivery, false, 'released once the line caught up');
    assert.equal(modem.state.serial.lineBaud, 921600);
  } finally {
    await rig.close();
  }
});
