import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { parseTranscript } from '../../src/at/transcript.js';
import { Modem } from '../../src/driver/modem.js';
import { RX_CHANNEL_NAME, TX_CHANNEL_NAME, TranscriptRecorder, type AtTraceMessage } from '../../src/driver/trace.js';
import { createMemoryPair } from '../../src/driver/transports/memory.js';
import { loadFixture, replayModule } from './support/module-replay.js';

function bytesOf(steps: ReturnType<typeof parseTranscript>, kind: 'send' | 'expect'): Buffer {
  return Buffer.concat(steps.flatMap((s) => (s.kind === kind ? [s.bytes] : [])));
}

test('trace: every byte on the line is published, recorded as a transcript, and replays as a test', async () => {
  const fixture = loadFixture('bringup-during-boot.txt');
  const messages: AtTraceMessage[] = [];
  const onTx = (m: unknown): void => void messages.push(m as AtTraceMessage);
  diagnostics_channel.subscribe(TX_CHANNEL_NAME, onTx);
  const recorder = new TranscriptRecorder('boot-port');
  const options = { pollIntervalMs: 10, keepEcho: true, receiveMode: 'buffer' as const, name: 'boot-port' };
  let transcript: string;
  let first;
  try {
    const { host, module } = createMemoryPair();
    const replay = replayModule(module, fixture, { chunking: { kind: 'random', seed: 3, max: 9 } });
    const modem = await Modem.open(host, options);
    await replay.done;
    first = modem.info;
    await modem.close();
  } finally {
    transcript = recorder.stop();
    diagnostics_channel.unsubscribe(TX_CHANNEL_NAME, onTx);
  }
  assert.ok(messages.length > 0 && messages.every((m) => m.port === 'boot-port' && Buffer.isBuffer(m.bytes) && typeof m.time === 'number'));

  // Byte for byte what the scripted module and the driver exchanged.
  const recorded = parseTranscript(transcript);
  assert.ok(bytesOf(recorded, 'send').equals(bytesOf(fixture, 'send')), 'host bytes');
  assert.ok(bytesOf(recorded, 'expect').equals(bytesOf(fixture, 'expect')), 'module bytes');
  assert.match(transcript, /^>> AT\\r$/m);

  // The recording is itself a fixture: replaying it gives the same bring-up.
  const { host, module } = createMemoryPair();
  const replay = replayModule(module, recorded);
  const again = await Modem.open(host, { ...options, name: 'replay' });
  await replay.done;
  assert.deepEqual(again.info, first);
  await again.close();
});

test('trace: nothing is recorded for other ports, and publishing is free without subscribers', async () => {
  assert.equal(diagnostics_channel.channel(RX_CHANNEL_NAME).hasSubscribers, false);
  const recorder = new TranscriptRecorder('some-other-port');
  const { host, module } = createMemoryPair();
  const replay = replayModule(module, loadFixture('cip-event-app-note.txt'));
  const modem = new Modem(host, { name: 'this-port' });
  await modem.command('AT+NETOPEN?');
  await replay.done;
  await modem.close();
  assert.equal(recorder.stop(), '');
});
