import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModuleOutputParser, type ModuleEvent } from '../../../src/at/module-output-framer.js';
import { txChannel, type AtTraceMessage } from '../../../src/driver/trace.js';
import { startEmulated, startTcpServer, within } from '../../driver/support/emulated.js';
import { clockedChannel, enterDataMode } from '../../driver/support/clocked-module.js';

/**
 * Driver bugs the fuzzers and the soak run found, each as it was found (the emulator in this
 * process, loopback peers, transparent mode where it was).
 */

const T = { timeout: 20_000 };

test('regression: an "\\r\\nOK\\r\\n" in the peer\'s data while +++ is pending is data, not the answer (commandMode)', T, async () => {
  const pattern = 'data\r\nOK\r\nmore ';
  const peer = await startTcpServer((s) => {
    const timer = setInterval(() => s.write(pattern), 10);
    s.on('close', () => clearInterval(timer));
  });
  const em = await startEmulated({ mode: 'transparent' });
  try {
    const socket = em.a76xx.createConnection({ port: peer.port, host: '127.0.0.1' });
    let got = '';
    socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
    await within(new Promise((r) => socket.once('connect', r)), 3_000, 'connect');
    const response = await within(em.a76xx.commandMode((m) => m.command('AT+CSQ')), 5_000, 'commandMode');
    assert.deepEqual(response.lines, ['+CSQ: 20,99']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.replaceAll(pattern, ''), '', 'nothing but whole copies of what the peer sent');
    socket.destroy();
  } finally {
    await em.close();
    await peer.close();
  }
});

// On the injected clock (it ran on real timers through the emulator and failed on a busy machine).
test('regression: an "\\r\\nOK\\r\\n" in the data that follows a CLOSED inside the data does not end the probe early', T, async () => {
  const GUARD = 100;
  const rig = clockedChannel({ guardMs: GUARD, escapeAnswerMs: 250 });
  try {
    await enterDataMode(rig);
    const head = 'start\r\nCLOSED\r\nafter ';
    const pattern = 'data\r\nOK\r\nmore ';
    let candidate = false;
    rig.channel.on('close-candidate', () => (candidate = true));
    await rig.print(head);
    assert.equal(candidate, true);
    const probe = rig.channel.probeDataMode();
    await rig.advance(GUARD);
    assert.equal(rig.took(), '+++', 'the probe after the guard time');
    // The peer goes on sending (each copy with an OK in it) faster than the quiet time…
    for (let i = 0; i < 4; i++) {
      await rig.advance(20);
      await rig.print(pattern);
    }
    // …then the module's answer once its trailing guard has passed, and quiet.
    await rig.advance(GUARD - 80);
    await rig.print('\r\nOK\r\n');
    await rig.advance(60);
    assert.equal(await probe, 'data', 'data mode was still on');
    assert.equal(rig.passthrough(), head + pattern.repeat(4), 'every byte up to the answer is data, in order');
    const resumed = rig.channel.resumeDataMode();
    await rig.advance(5);
    assert.equal(rig.took(), 'ATO\r');
    await rig.print('\r\nCONNECT 115200\r\n');
    await resumed;
    assert.equal(rig.channel.inDataMode, true);
  } finally {
    rig.close();
  }
});

test('regression: end() while the ATO after a CLOSED probe is on its way still closes the link', T, async () => {
  const peer = await startTcpServer((s) => s.pipe(s));
  const em = await startEmulated({ mode: 'transparent' });
  const socket = em.a76xx.createConnection({ port: peer.port, host: '127.0.0.1' });
  const endOnAto = (message: unknown): void => {
    if ((message as AtTraceMessage).bytes.toString('latin1') === 'ATO\r') socket.end();
  };
  try {
    const errors: Error[] = [];
    socket.on('error', (e) => errors.push(e));
    socket.on('data', () => {});
    await within(new Promise((r) => socket.once('connect', r)), 3_000, 'connect');
    txChannel.subscribe(endOnAto);
    socket.write('x\r\nCLOSED\r\ny'); // echoed: the driver probes it with +++, then resumes with ATO
    await within(new Promise((r) => socket.once('close', r)), 3_000, 'close');
    assert.deepEqual(errors.map(String), []);
    assert.equal(em.a76xx.modem.linkState(0), 'free');
  } finally {
    txChannel.unsubscribe(endOnAto);
    await em.close();
    await peer.close();
  }
});

test('regression: after a "> " prompt (SIM800 style) an echoed payload of spaces is consumed whole', () => {
  for (const payload of [' ', '   ', ' x']) {
    for (const bytewise of [false, true]) {
      const events: ModuleEvent[] = [];
      const data = Buffer.from(payload);
      const parser = new ModuleOutputParser((e) => {
        events.push(e);
        if (e.kind === 'prompt') parser.expectDataEcho(data);
      });
      parser.expectEcho(Buffer.from(`AT+CIPSEND=1,${data.length}\r`));
      parser.expectPrompt();
      const stream = Buffer.from(`AT+CIPSEND=1,${data.length}\r\r\n> ${payload}\r\nOK\r\n`, 'latin1');
      for (const chunk of bytewise ? [...stream].map((b) => Buffer.from([b])) : [stream]) parser.feed(chunk);
      const shown = events.map((e) => (e.kind === 'line' ? `line ${e.text}` : e.kind));
      assert.deepEqual(shown, ['echo', 'prompt', 'echo', 'line OK'], `${JSON.stringify(payload)}${bytewise ? ', byte by byte' : ''}`);
    }
  }
});
