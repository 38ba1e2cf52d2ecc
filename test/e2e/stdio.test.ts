import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { serveStdio } from '../../src/emulator/serve/stdio.js';
import { ALL_BYTES, ByteCollector, RecordingModule } from './bytes.js';

/** Every test is bounded, whatever goes wrong. */
const TIMEOUT_MS = 10000;

function streams() {
  const input = new PassThrough();
  const output = new PassThrough();
  const received = new ByteCollector();
  output.on('data', received.push);
  return { input, output, received };
}

test('stdio: bytes pass untouched both ways', { timeout: TIMEOUT_MS }, async () => {
  const module = new RecordingModule();
  const { input, output, received } = streams();
  const endpoint = serveStdio(module, { input, output });
  assert.equal(endpoint.description, 'stdio');
  input.write(ALL_BYTES);
  assert.deepEqual(await module.fromHost.until((b) => b.length >= 256), ALL_BYTES);
  module.print(ALL_BYTES);
  assert.deepEqual(await received.until((b) => b.length >= 256), ALL_BYTES);
  await endpoint.close();
});

test('stdio: end of input ends the session, yet late module output still goes out until close()', { timeout: TIMEOUT_MS }, async () => {
  const module = new RecordingModule();
  const { input, output, received } = streams();
  const endpoint = serveStdio(module, { input, output });
  input.end('AT+NETOPEN\r');
  await endpoint.ended;
  module.print(Buffer.from('\r\n+NETOPEN: 0\r\n'));
  assert.equal((await received.contains('+NETOPEN: 0\r\n')).toString(), '\r\n+NETOPEN: 0\r\n');
  await endpoint.close();
  module.print(Buffer.from('after close'));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(received.bytes.toString(), '\r\n+NETOPEN: 0\r\n');
});

test('stdio: an output that fails (EPIPE) ends the session', { timeout: TIMEOUT_MS }, async () => {
  const module = new RecordingModule();
  const { input, output } = streams();
  const endpoint = serveStdio(module, { input, output });
  output.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  await endpoint.ended;
  module.print(Buffer.from('nobody hears this'));
  await endpoint.close();
});
