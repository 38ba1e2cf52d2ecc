import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeBytes, unescapeBytes } from '../../src/at/escape.js';

test('printable ASCII stays, control bytes and backslash are escaped', () => {
  assert.equal(escapeBytes(Buffer.from('AT+CSQ\r\n')), 'AT+CSQ\\r\\n');
  assert.equal(escapeBytes(Buffer.from([0x09, 0x5c, 0x1a, 0x00, 0x7f, 0xff])), '\\t\\\\\\x1A\\x00\\x7F\\xFF');
});

test('every byte value round-trips', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, b) => b));
  assert.deepEqual(unescapeBytes(escapeBytes(all)), all);
});

test('random buffers round-trip', () => {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
  for (let n = 0; n < 200; n++) {
    const bytes = Buffer.from(Array.from({ length: n }, next));
    assert.deepEqual(unescapeBytes(escapeBytes(bytes)), bytes);
  }
});

test('unescape accepts lower-case hex and rejects bad escapes', () => {
  assert.deepEqual(unescapeBytes('\\x1a\\x1A'), Buffer.from([0x1a, 0x1a]));
  for (const bad of ['\\', '\\q', '\\x1', '\\xZZ', 'caf\u00e9\u20ac']) {
    assert.throws(() => unescapeBytes(bad), Error, JSON.stringify(bad));
  }
});

test('latin-1 characters stand for their byte', () => {
  assert.deepEqual(unescapeBytes('\u00e9'), Buffer.from([0xe9]));
});
