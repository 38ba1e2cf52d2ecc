import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseTranscript } from '../../src/at/transcript.js';
import { TRANSPARENT_FLUSH_BYTES } from '../../src/emulator/packetizer.js';
import { modemPort, runTranscript } from '../support/transcript-runner.js';
import { startRig, type Rig } from './datamode-rig.js';
import { Wakeup } from '../support/wakeup.js';

/**
 * Bulk transfers in transparent mode over the real network backend, loopback peers only: 1 MiB of
 * random bytes each way, unchanged (TCP as a stream; UDP as datagrams of at most 1460 bytes).
 */

const MIB = 1024 * 1024;
const TIMEOUT_MS = 20000;
const WAIT_MS = 10000;

async function play(rig: Rig, lines: readonly string[]): Promise<void> {
  await runTranscript(modemPort(rig.modem), parseTranscript(lines.join('\n'), rig.vars), { actions: rig.actions });
}

const SETUP = ['> ATE0', '<< ATE0\\r', '< OK', '> AT+CIPMODE=1', '< OK', '> AT+NETOPEN', '< OK', '< +NETOPEN: 0', '> AT+CIPCFG="transwaittm",5', '< OK'];

/** Everything the modem prints from now on. */
function hostOutput(rig: Rig): { bytes: () => Buffer; until: (length: number) => Promise<void>; stop: () => void } {
  const chunks: Buffer[] = [];
  let length = 0;
  const wakeup = new Wakeup();
  const listener = (bytes: Buffer) => {
    chunks.push(bytes);
    length += bytes.length;
    wakeup.wake();
  };
  rig.modem.on('output', listener);
  return {
    bytes: () => Buffer.concat(chunks),
    async until(wanted) {
      const deadline = Date.now() + WAIT_MS;
      while (length < wanted) {
        if (Date.now() > deadline) throw new Error(`host: ${length} of ${wanted} bytes after ${WAIT_MS} ms`);
        await wakeup.next(50);
      }
    },
    stop: () => rig.modem.off('output', listener),
  };
}

test('TCP transparent: 1 MiB of random bytes each way, at once, unchanged', { timeout: TIMEOUT_MS }, async () => {
  const rig = await startRig();
  try {
    await play(rig, [...SETUP, '> AT+CIPOPEN=0,"TCP","127.0.0.1",${TCP_PORT}', '< CONNECT 115200']);
    const peer = await rig.tcp.connection(0);
    const up = randomBytes(MIB);
    const down = randomBytes(MIB);
    const output = hostOutput(rig);
    rig.modem.input(up);
    const [received] = await Promise.all([peer.take(MIB, WAIT_MS), peer.send(down), output.until(MIB)]);
    output.stop();
    assert.ok(received.equals(up), 'host → peer');
    assert.ok(output.bytes().equals(down), 'peer → host');
  } finally {
    rig.close();
  }
});

test('UDP transparent: 1 MiB of random bytes each way as datagrams of at most 1460 bytes', { timeout: TIMEOUT_MS }, async () => {
  const rig = await startRig();
  try {
    await play(rig, [...SETUP, '> AT+CIPOPEN=0,"UDP","127.0.0.1",${UDP_PORT},${LOCAL_UDP_PORT}', '< CONNECT 115200']);
    const up = randomBytes(MIB);
    const down = randomBytes(MIB);
    // Host → peer, 64 KiB at a time so loopback socket buffers never overflow (UDP drops then).
    const datagrams: Buffer[] = [];
    let got = 0;
    const step = 64 * 1024;
    for (let at = 0; at < MIB; at += step) {
      rig.modem.input(up.subarray(at, at + step));
      while (got < Math.min(at + step, MIB) - TRANSPARENT_FLUSH_BYTES + 1 || (at + step >= MIB && got < MIB)) {
        const datagram = await rig.udp.next(WAIT_MS);
        datagrams.push(datagram.data);
        got += datagram.data.length;
      }
    }
    assert.ok(Buffer.concat(datagrams).equals(up), 'host → peer');
    assert.ok(datagrams.every((d) => d.length <= TRANSPARENT_FLUSH_BYTES), 'no datagram above 1460 bytes');
    // Short ones only where the line went idle: after each 64 KiB write.
    assert.ok(datagrams.filter((d) => d.length < TRANSPARENT_FLUSH_BYTES).length <= MIB / step, 'full-size datagrams otherwise');
    // Peer → host, one datagram per 1460 bytes, paced the same way.
    const output = hostOutput(rig);
    for (let at = 0; at < MIB; at += step) {
      const end = Math.min(at + step, MIB);
      for (let d = at; d < end; d += TRANSPARENT_FLUSH_BYTES) {
        await rig.udp.send(down.subarray(d, Math.min(d + TRANSPARENT_FLUSH_BYTES, end)), rig.vars['LOCAL_UDP_PORT'] as number);
      }
      await output.until(end);
    }
    output.stop();
    assert.ok(output.bytes().equals(down), 'peer → host');
  } finally {
    rig.close();
  }
});
