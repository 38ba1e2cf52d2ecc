/**
 * driver-parse: the driver's module-output framer (src/at/module-output-framer.ts) over a push stream of
 * 50 MiB held in memory, in MB/s (10^6 bytes), against a bare `Buffer.indexOf` scan for LF over
 * the same chunks (the least any line framer does).
 *
 * The stream is recorded, not written by hand: an emulator in this process (default settings:
 * `RECV FROM:` and `+IPD<n>` headers, 1500-byte blocks) pushes what a loopback peer sends on link
 * 0, random bytes; its output is taken from the first block to the last complete one and repeated
 * until it is at least 50 MiB (whole recordings only, so every block stays whole). It is fed in 64 KiB chunks, as a socket delivers it.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ModuleOutputParser } from '../src/at/module-output-framer.js';
import { EmulatedModem } from '../src/emulator/modem.js';
import { RealNetwork } from '../src/emulator/network/real.js';
import { AtClient } from './lib/at-client.js';
import { row, type Row } from './lib/report.js';

export const STREAM_BYTES = 50 * 1024 * 1024;
const FEED_CHUNK = 64 * 1024;
const RECORD_PAYLOAD = 4 * 1024 * 1024;

/** The emulator's output while a peer sends `RECORD_PAYLOAD` random bytes to link 0. */
export async function recordPushStream(): Promise<Buffer> {
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  const listeners: ((bytes: Buffer) => void)[] = [];
  modem.on('output', (bytes) => listeners.forEach((l) => l(bytes)));
  const at = new AtClient({ write: (bytes) => modem.input(Buffer.from(bytes)), on: (_event, l) => listeners.push(l) });
  let peerSocket: Socket | undefined;
  const peer = createServer((socket) => {
    peerSocket = socket;
  });
  peer.listen(0, '127.0.0.1');
  await once(peer, 'listening');
  try {
    await at.command('ATE0');
    await at.command('AT+NETOPEN', /^\+NETOPEN: 0$/);
    await at.command(`AT+CIPOPEN=0,"TCP","127.0.0.1",${(peer.address() as AddressInfo).port}`, /^\+CIPOPEN: 0,\d+$/);
    if (peerSocket === undefined) await once(peer, 'connection');
    const recorded: Buffer[] = [];
    let recordedPayload = 0;
    listeners.push((bytes) => recorded.push(bytes));
    const done = new Promise<void>((resolve) => {
      at.onPush = (bytes) => {
        recordedPayload += bytes.length;
        if (recordedPayload >= RECORD_PAYLOAD) resolve();
      };
    });
    (peerSocket as Socket).write(randomBytes(RECORD_PAYLOAD));
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('recording: the pushes did not all come in 20 s')), 20_000).unref())]);
    // Every block is written whole in one output event, so the record ends on a block boundary.
    return Buffer.concat(recorded);
  } finally {
    peerSocket?.destroy();
    peer.close();
    modem.reboot();
  }
}

/** `record` repeated up to `total` bytes, cut into feed-sized chunks (each a Buffer). */
function tile(record: Buffer, total: number): Buffer[] {
  const copies = Math.ceil(total / record.length);
  const whole = Buffer.concat(Array.from({ length: copies }, () => record));
  const chunks: Buffer[] = [];
  for (let at = 0; at < whole.length; at += FEED_CHUNK) chunks.push(whole.subarray(at, at + FEED_CHUNK));
  return chunks;
}

function timeIt(run: () => void, repeats: number): number {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

export async function driverParse(): Promise<Row> {
  const record = await recordPushStream();
  const chunks = tile(record, STREAM_BYTES);
  const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
  let payload = 0;
  let blocks = 0;
  const parse = (): void => {
    payload = 0;
    blocks = 0;
    const parser = new ModuleOutputParser((event) => {
      if (event.kind === 'push') {
        payload += event.bytes.length;
        blocks++;
      }
    });
    for (const chunk of chunks) parser.feed(chunk);
  };
  let lfs = 0;
  const scan = (): void => {
    lfs = 0;
    for (const chunk of chunks) {
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lfs++;
    }
  };
  // Best of three each, alternating after one warm-up run of both.
  scan();
  parse();
  const parseMs = timeIt(parse, 3);
  const scanMs = timeIt(scan, 3);
  const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
  const recordedBlocks = Math.round((blocks * record.length) / bytes);
  return row({
    name: 'driver-parse',
    value: mbps(parseMs),
    unit: 'MB/s',
    baseline: mbps(scanMs),
    baselineIs: 'Buffer.indexOf scan for LF over the same chunks',
    detail: { streamBytes: bytes, pushBlocks: blocks, payloadBytes: payload, lineFeeds: lfs, recordedBytes: record.length, recordedBlocks },
  });
}
