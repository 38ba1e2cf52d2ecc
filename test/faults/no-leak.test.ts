import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { realFaultRig } from './rig.js';
import { Wakeup } from '../support/wakeup.js';

/**
 * Links are opened and closed over and over, by the host, by peers and by network loss, reusing
 * every slot and the same ports: afterwards the module holds no socket (CountingNetwork) and the
 * process no more socket handles than before (process.getActiveResourcesInfo()), all bounded.
 */
const TIMEOUT_MS = 30_000;
const ROUNDS = 20;
const WAIT_MS = 5000;

/** Socket handles of this process, by kind. */
function socketHandles(): string {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (/^(TCPSocketWrap|TCPServerWrap|UDPWrap)$/.test(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return JSON.stringify([...counts].sort());
}

/** Wakes `eventually` early (on module output) instead of at its next poll. */
const wakeup = new Wakeup();

async function eventually(check: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${WAIT_MS} ms: ${what()}`);
    await wakeup.next(10);
  }
}

test('open, use and close every link again and again: no socket is left behind', { timeout: TIMEOUT_MS }, async () => {
  const rig = await realFaultRig();
  const { TCP_PORT, UDP_PORT, SERVER_PORT } = rig.vars as Record<string, number>;
  let output = '';
  rig.target.line.on('output', (bytes: Buffer) => {
    output += bytes.toString('latin1');
    wakeup.wake();
  });
  /** Send a command line; wait until the output since then contains every `wanted` text. */
  const at = async (line: string, ...wanted: string[]): Promise<void> => {
    const from = output.length;
    rig.target.line.input(Buffer.from(`${line}\r`, 'latin1'));
    await eventually(
      () => wanted.every((w) => output.indexOf(w, from) >= 0),
      () => `${line}: expected ${JSON.stringify(wanted)}, got ${JSON.stringify(output.slice(from))}`,
    );
  };
  try {
    await at('ATE0', 'OK\r\n');
    // The rig's free-port probes close asynchronously: count once they are gone.
    await new Promise((r) => setTimeout(r, 100));
    const baseline = socketHandles();
    await at('AT+NETOPEN', '+NETOPEN: 0\r\n');
    for (let round = 0; round < ROUNDS; round++) {
      // Even links TCP, odd links UDP on any local port; a byte out on one of each.
      for (let n = 0; n < 10; n++) {
        if (n % 2 === 0) await at(`AT+CIPOPEN=${n},"TCP","127.0.0.1",${TCP_PORT}`, `+CIPOPEN: ${n},0\r\n`);
        else await at(`AT+CIPOPEN=${n},"UDP",,,0`, `+CIPOPEN: ${n},0\r\n\r\nOK\r\n`);
      }
      await at('AT+CIPSEND=0,1', '>');
      await at('x', `+CIPSEND: 0,1,1\r\n`);
      await at(`AT+CIPSEND=1,1,"127.0.0.1",${UDP_PORT}`, '>');
      await at('y', `+CIPSEND: 1,1,1\r\n`);
      // The host closes some, a peer closes one, the rest go with the network or NETCLOSE.
      for (const n of [1, 2, 3]) await at(`AT+CIPCLOSE=${n}`, `+CIPCLOSE: ${n},0\r\n`);
      const peer = rig.peers.tcp.connections[rig.peers.tcp.connections.length - 1];
      peer?.close();
      await at('AT', 'OK\r\n');
      await eventually(
        () => output.includes(`+IPCLOSE: 8,1\r\n`),
        () => 'the peer close of link 8',
      );
      output = '';
      await at(`AT+SERVERSTART=${SERVER_PORT},0`, 'OK\r\n');
      const client = connect({ host: '127.0.0.1', port: SERVER_PORT });
      client.on('error', () => {});
      await eventually(() => output.includes('+CLIENT: 1,0,'), () => `+CLIENT (got ${JSON.stringify(output)})`);
      client.destroy();
      await eventually(() => output.includes('+IPCLOSE: 1,1'), () => 'the client to go');
      if (round % 2 === 0) {
        await at('AT+NETCLOSE', '+NETCLOSE: 0\r\n');
      } else {
        output = '';
        await rig.actions['ctl']?.(['network-loss']);
        await eventually(() => output.includes('NETWORK CLOSED UNEXPECTEDLY\r\n'), () => '+CIPEVENT');
        await rig.actions['ctl']?.(['network-restore']);
      }
      assert.deepEqual(rig.counting.open, { tcp: 0, udp: 0, listeners: 0 }, `round ${round}`);
      output = '';
      await at('AT+NETOPEN', '+NETOPEN: 0\r\n');
    }
    assert.deepEqual(rig.counting.opened, { tcp: ROUNDS * 6, udp: ROUNDS * 5, listeners: ROUNDS });
    await at('AT+NETCLOSE', '+NETCLOSE: 0\r\n');
    await eventually(
      () => rig.peers.tcp.connections.every((c) => c.closed),
      () => `${rig.peers.tcp.connections.filter((c) => !c.closed).length} peer connections still open`,
    );
    await eventually(
      () => socketHandles() === baseline,
      () => `socket handles ${socketHandles()}, before ${baseline}`,
    );
  } finally {
    await rig.close();
  }
});
