import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unescapeBytes } from '../../src/at/escape.js';
import { parseTranscript } from '../../src/at/transcript.js';
import { socketService } from '../../src/emulator/links.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { FakeClock } from '../../src/emulator/clock.js';
import type { Endpoint, Network, TcpListener, TcpListenerHandlers } from '../../src/emulator/network/types.js';
import { modemPort, runTranscript } from '../support/transcript-runner.js';
import { ScriptedConnection, ScriptedNetwork } from './sockets-scripted-network.js';
import { freePort } from '../support/peers.js';
import { startRig, type Rig } from './datamode-rig.js';

/** TCP servers on the real network: what is easier to generate than to write out. Loopback only. */

const TIMEOUT_MS = 20000;

async function play(rig: Rig, lines: readonly string[], vars: Record<string, number> = {}): Promise<void> {
  await runTranscript(modemPort(rig.modem), parseTranscript(lines.join('\n'), { ...rig.vars, ...vars }), { actions: rig.actions });
}

const SETUP = ['> ATE0', '<< ATE0\\r', '< OK', '> AT+NETOPEN', '< OK', '< +NETOPEN: 0'];

test('ten clients take links 0–9; an eleventh is reset; a freed link goes to the next', { timeout: TIMEOUT_MS }, async () => {
  const rig = await startRig();
  try {
    const ports: Record<string, number> = {};
    for (let n = 0; n < 12; n++) ports[`C${n}`] = await freePort('tcp');
    const lines = [...SETUP, '> AT+SERVERSTART=${SERVER_PORT},0', '< OK'];
    for (let n = 0; n < 10; n++) lines.push(`! client-connect c${n} \${C${n}} \${SERVER_PORT}`, `< +CLIENT: ${n},0,127.0.0.1:\${C${n}}`);
    lines.push(
      '! client-rejected ${C10} ${SERVER_PORT}',
      '> AT+CIPCLOSE?',
      '< +CIPCLOSE: 1,1,1,1,1,1,1,1,1,1',
      '< OK',
      '! client-close c4',
      '< +IPCLOSE: 4,1',
      '! client-connect c11 ${C11} ${SERVER_PORT}',
      '< +CLIENT: 4,0,127.0.0.1:${C11}',
    );
    await play(rig, lines, ports);
  } finally {
    rig.close();
  }
});

test('a reboot closes the listening sockets and the accepted links', { timeout: TIMEOUT_MS }, async () => {
  const rig = await startRig();
  try {
    await play(rig, [
      ...SETUP,
      '> AT+SERVERSTART=${SERVER_PORT},0',
      '< OK',
      '! client-connect A ${CLIENT_A_PORT} ${SERVER_PORT}',
      '< +CLIENT: 0,0,127.0.0.1:${CLIENT_A_PORT}',
      '! reboot',
      ...['*ATREADY: 1', '+CPIN: READY', 'SMS DONE', '+CGEV: EPS PDN ACT 1', 'PB DONE'].map((urc) => `< ${urc}`),
      '! client-closed A',
      '! client-refused ${SERVER_PORT}',
    ]);
    assert.deepEqual(socketService(rig.modem).servers, [undefined, undefined, undefined, undefined]);
  } finally {
    rig.close();
  }
});

test('SERVERSTART port 0 listens on a free port and shows it', { timeout: TIMEOUT_MS }, async () => {
  const rig = await startRig();
  try {
    await play(rig, [...SETUP, '> AT+SERVERSTART=0,1', '< OK']);
    const slot = socketService(rig.modem).servers[1];
    assert.ok(slot !== undefined && slot.port > 0);
    await play(rig, ['> AT+SERVERSTART?', '< +SERVERSTART: 1,${PORT}', '< OK', '! client-connect A ${CLIENT_A_PORT} ${PORT}', '< +CLIENT: 0,1,127.0.0.1:${CLIENT_A_PORT}'], {
      PORT: slot.port,
    });
  } finally {
    rig.close();
  }
});

test('servers listen on the network listen address (127.0.0.1 by default)', { timeout: TIMEOUT_MS, skip: process.platform !== 'linux' && 'needs 127.0.0.2 on lo' }, async () => {
  for (const address of [undefined, '127.0.0.2']) {
    const modem = new EmulatedModem({
      config: { bootUrcs: false },
      network: new RealNetwork({ staticOnly: true, ...(address !== undefined ? { listenAddress: address } : {}) }),
    });
    try {
      await runTranscript(modemPort(modem), parseTranscript([...SETUP, '> AT+SERVERSTART=0,0', '< OK'].join('\n')));
      const slot = socketService(modem).servers[0];
      assert.equal(slot?.listener.local.address, address ?? '127.0.0.1');
    } finally {
      modem.reboot();
    }
  }
});

/** A listener the test connects clients to by hand. */
class HandListener implements TcpListener {
  handlers: TcpListenerHandlers | undefined;
  closed = false;
  constructor(readonly local: Endpoint) {}
  attach(handlers: TcpListenerHandlers): void {
    this.handlers = handlers;
  }
  close(): void {
    this.closed = true;
  }
}

test('a transparent accept during a command waits for it: +CLIENT and CONNECT follow its result', { timeout: TIMEOUT_MS }, async () => {
  const clock = new FakeClock();
  const scripted = new ScriptedNetwork();
  const listeners: HandListener[] = [];
  const network: Network = {
    resolve: (name) => scripted.resolve(name),
    connectTcp: (options) => scripted.connectTcp(options),
    bindUdp: (options) => scripted.bindUdp(options),
    listenTcp: (options) => {
      const listener = new HandListener({ address: '10.148.0.17', port: options.port });
      listeners.push(listener);
      return Promise.resolve(listener);
    },
  };
  const modem = new EmulatedModem({ config: { bootUrcs: false }, clock, network });
  const client = new ScriptedConnection({ address: '10.148.0.17', port: 8080 }, { address: '192.0.2.9', port: 40001 });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  await runTranscript(
    modemPort(modem),
    parseTranscript(
      [
        '> ATE0',
        '<< ATE0\\r',
        '< OK',
        '> AT+CIPMODE=1',
        '< OK',
        '> AT+NETOPEN',
        '< OK',
        '! advance 20',
        '< +NETOPEN: 0',
        '> AT+SERVERSTART=8080,0',
        '< OK',
        // A name that never resolves keeps AT+CDNSGIP busy for its 6 s.
        '> AT+CDNSGIP="slowdns.test"',
        '! accept',
        '! peer-says early',
        '! advance 5999 quiet',
        '! advance 1',
        '< +CDNSGIP: 0,10',
        '< ERROR',
        '< +CLIENT: 0,0,192.0.2.9:40001',
        '< CONNECT 115200',
        '<< early',
        '>> AT\\r',
        '! advance 100',
        '! written AT\\r',
      ].join('\n'),
    ),
    {
      actions: {
        advance: async ([ms, quiet]) => {
          let printed = 0;
          const count = (bytes: Buffer) => (printed += bytes.length);
          modem.on('output', count);
          clock.advance(Number(ms));
          await settle();
          modem.off('output', count);
          if (quiet === 'quiet' && printed > 0) throw new Error(`output while advancing ${ms} ms`);
        },
        accept: () => listeners[0]?.handlers?.connection(client),
        'peer-says': ([text]) => client.peerSend(Buffer.from(text ?? '')),
        written: ([text]) => assert.deepEqual(Buffer.concat(client.written), unescapeBytes(text ?? '')),
      },
    },
  );
  modem.reboot();
});
