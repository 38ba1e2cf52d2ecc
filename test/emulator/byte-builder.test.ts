import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteBuilder } from '../../src/common/byte-builder.js';

test('a ByteBuilder keeps every byte across its growth, up to its cap, and empties on take', () => {
  const builder = new ByteBuilder(3071);
  const expected = Buffer.alloc(3071);
  for (let i = 0; i < 3071; i++) {
    expected[i] = (i * 7) & 0xff;
    builder.push(expected[i] as number);
  }
  assert.equal(builder.full, true);
  assert.throws(() => builder.push(0x41), RangeError);
  assert.equal(builder.text(), expected.toString('latin1'));
  builder.pop();
  assert.equal(builder.length, 3070);
  assert.deepEqual(builder.take(), expected.subarray(0, 3070));
  assert.equal(builder.length, 0);
  builder.pop();
  assert.equal(builder.length, 0, 'pop on empty stays empty');
});
