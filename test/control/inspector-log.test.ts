import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTranscript } from '../../src/at/transcript.js';
import { controlledModem } from '../../src/control/target.js';
import { LogFramer, type NewEntry } from '../../src/control/inspector/framer.js';
import { LineRecorder, MAX_RAW_BYTES } from '../../src/control/inspector/recorder.js';
import { modemPort, runTranscript } from '../support/transcript-runner.js';

/** The inspector's log: how the AT line is cut into entries, and the transcript it downloads. */

function frame(chunks: readonly (readonly ['host' | 'module', string])[], inDataMode = false): NewEntry[] {
  const entries: NewEntry[] = [];
  const framer = new LogFramer({ inDataMode }, (e) => entries.push(e));
  for (const [dir, text] of chunks) framer[dir](Buffer.from(text, 'latin1'));
  return entries;
}

const brief = (entries: readonly NewEntry[]): string[] =>
  entries.map((e) => `${e.dir} ${e.kind}${e.urc === true ? ' urc' : ''} ${e.text}${e.size === undefined ? '' : ` [${e.size}: ${Buffer.from(e.bytes ?? '', 'base64').toString('latin1')}]`}`);

for (const eol of ['\r', '\r\n']) {
  test(`inspector log: host lines, echoes, responses, URCs, prompt and data told apart (host lines end ${JSON.stringify(eol)})`, () => {
    const session: (readonly ['host' | 'module', string])[] = [
      ['module', '\r\n*ATREADY: 1\r\n'],
      ['host', `AT+CSQ${eol}`],
      ['module', 'AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n'],
      ['host', `AT+NETOPEN${eol}`],
      ['module', 'AT+NETOPEN\r\r\nOK\r\n\r\n+NETOPEN: 0\r\n'],
      ['host', `AT+CIPSEND=0,5${eol}`],
      ['module', 'AT+CIPSEND=0,5\r\r\n>'],
      ['host', 'he\rlo'],
      ['module', '\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n'],
      ['module', '\r\n+RECEIVE,0,7:\r\nOK\r\n>\r\n\r\n'],
      ['module', '\r\n+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY\r\n'],
    ];
    const expected = [
      'module urc *ATREADY: 1',
      'host line AT+CSQ',
      'module echo AT+CSQ',
      'module line +CSQ: 20,99',
      'module line OK',
      'host line AT+NETOPEN',
      'module echo AT+NETOPEN',
      'module line OK',
      'module urc +NETOPEN: 0',
      'host line AT+CIPSEND=0,5',
      'module echo AT+CIPSEND=0,5',
      'module prompt >',
      'host data  [5: he\rlo]',
      'module line OK',
      'module urc +CIPSEND: 0,5,5',
      // Pushed data is cut by its announced length: the module's own framing inside is data.
      'module data urc +RECEIVE,0,7 [7: OK\r\n>\r\n]',
      'module urc +CIPEVENT: NETWORK CLOSED UNEXPECTEDLY',
    ];
    assert.deepEqual(brief(frame(session)), expected);
    // However the stream is cut: byte by byte gives the same entries (the data as its chunks).
    const bytewise = session.flatMap(([dir, text]) => [...text].map((c) => [dir, c] as const));
    const merged = brief(frame(bytewise)).filter((e) => !e.startsWith('host data'));
    assert.deepEqual(merged, expected.filter((e) => !e.startsWith('host data')));
  });
}

test('inspector log: in transparent mode every byte is data', () => {
  assert.deepEqual(brief(frame([['host', 'GET /\r\n'], ['module', 'OK\r\nHTTP']], true)), ['host data  [7: GET /\r\n]', 'module data  [8: OK\r\nHTTP]']);
});

test('inspector transcript: what the page downloads replays as a test against a fresh modem', async () => {
  const target = controlledModem({ config: { bootUrcs: false } });
  const recorder = new LineRecorder(target);
  try {
    for (const line of ['AT', 'ATI', 'AT+CSQ', 'AT+CPIN?', 'AT+CGMR']) {
      target.line.input(Buffer.from(`${line}\r`));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const transcript = recorder.transcript();
    assert.match(transcript, /^# a76xx inspector transcript of modem 0/);
    assert.match(transcript, /^>> AT\+CSQ\\r$/m);
    const fresh = controlledModem({ config: { bootUrcs: false } });
    try {
      await runTranscript(modemPort(fresh.modem), parseTranscript(transcript));
    } finally {
      fresh.line.detach();
    }
    assert.ok(recorder.backlog().some((e) => e.dir === 'module' && e.text.startsWith('+CSQ:')));
  } finally {
    recorder.close();
    target.line.detach();
  }
});

test('inspector recorder: the raw record is bounded; what was dropped is said in the transcript', () => {
  const target = controlledModem({ config: { bootUrcs: false } });
  const recorder = new LineRecorder(target);
  try {
    const block = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 40; i++) target.line.emit('output', block);
    const transcript = recorder.transcript();
    assert.ok(transcript.length < 5 * MAX_RAW_BYTES, 'about MAX_RAW_BYTES escaped, not 2.5 MiB');
    assert.match(transcript, /^# the first \d+ chunks were dropped/m);
    assert.ok(recorder.backlog().length <= 2000);
  } finally {
    recorder.close();
    target.line.detach();
  }
});

test('inspector events: a fleet names its modems (the page picker), each modem its own stream; unknown modem 404', { timeout: 10_000 }, async () => {
  const { ControlPlane } = await import('../../src/control/plane.js');
  const { serveControl } = await import('../../src/control/http-server.js');
  const { request } = await import('node:http');
  const plane = new ControlPlane();
  const members = ['0', '1', '2', '3'].map((id) => controlledModem({ id, config: { bootUrcs: false } }));
  for (const m of members) plane.add(m);
  const server = await serveControl(plane, { port: 0, token: 'T' });
  const firstEvents = (path: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (res.statusCode !== 200 || /event: status\n/.test(text)) {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, text });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  try {
    members[2]?.line.input(Buffer.from('AT+CSQ\r'));
    const two = await firstEvents('/inspector/events?modem=2&token=T');
    assert.equal(two.status, 200);
    const hello = JSON.parse(/event: hello\ndata: (.*)\n/.exec(two.text)?.[1] ?? '{}');
    assert.deepEqual(hello.modems, ['0', '1', '2', '3']);
    assert.equal(hello.modem, '2');
    const backlog = JSON.parse(/event: entries\ndata: (.*)\n/.exec(two.text)?.[1] ?? '[]') as { text: string }[];
    assert.ok(backlog.some((e) => e.text === 'AT+CSQ'), 'modem 2 has its own log');
    const one = await firstEvents('/inspector/events?modem=1&token=T');
    assert.deepEqual(JSON.parse(/event: entries\ndata: (.*)\n/.exec(one.text)?.[1] ?? 'null'), []);
    assert.equal((await firstEvents('/inspector/events?modem=7&token=T')).status, 404);
    assert.equal((await firstEvents('/inspector/events?modem=2&token=t')).status, 401);
  } finally {
    await server.close();
    for (const m of members) m.line.detach();
  }
});

test('inspector events: a page that does not read is not queued for without bound (entries dropped, then a gap event)', { timeout: 30_000 }, async () => {
  const { ControlPlane } = await import('../../src/control/plane.js');
  const { serveControl } = await import('../../src/control/http-server.js');
  const { connect } = await import('node:net');
  const plane = new ControlPlane();
  const target = controlledModem({ config: { bootUrcs: false } });
  plane.add(target);
  const server = await serveControl(plane, { port: 0, token: 'T' });
  const socket = connect(server.port, '127.0.0.1');
  try {
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /inspector/events?token=T HTTP/1.1\r\nHost: x\r\n\r\n');
    let received = 0;
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      text = (text + chunk.toString('latin1')).slice(-4096);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.pause();
    // 40 MB of events (a short URC line is a ~150-byte entry), far more than socket buffers hold.
    const lines = Buffer.from('\r\n+CSQ: 20,99\r\n'.repeat(1000));
    for (let i = 0; i < 270; i++) {
      target.line.emit('output', lines);
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    socket.resume();
    // One more entry after the reader caught up brings the gap notice.
    const caughtUp = Date.now() + 10_000;
    while (!/event: gap\ndata: \{"dropped":\d+\}/.test(text) && Date.now() < caughtUp) {
      target.line.emit('output', Buffer.from('\r\n+CSQ: 1,99\r\n'));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(text, /event: gap\ndata: \{"dropped":\d+\}/, 'the page is told how many entries it missed');
    assert.ok(received < 40_000_000, `far less than everything was sent (${received} bytes)`);
  } finally {
    socket.destroy();
    await server.close();
    target.line.detach();
  }
});
