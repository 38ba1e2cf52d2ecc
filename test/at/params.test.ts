import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Params, ParamError } from '../../src/at/params.js';
import { parseParams } from '../../src/at/syntax.js';

const params = (list: string) => new Params(parseParams(list));

test('int: range, fallback when empty, required otherwise', () => {
  assert.equal(params('5').int(0, { min: 0, max: 9 }), 5);
  assert.equal(params(',7').int(0, { min: 0, max: 9 }, 3), 3);
  assert.equal(params('1').int(1, { min: 0, max: 9 }, 4), 4);
  assert.throws(() => params('').int(0, { min: 0, max: 9 }), ParamError);
  assert.throws(() => params('10').int(0, { min: 0, max: 9 }), ParamError);
  assert.throws(() => params('-1').int(0, { min: 0, max: 9 }), ParamError);
});

test('int: only plain decimal digits, bare', () => {
  for (const bad of ['"5"', '0x5', '5a', '1.5', '+5', '12345678901']) {
    assert.throws(() => params(bad).int(0, { min: 0, max: Number.MAX_SAFE_INTEGER }), ParamError, bad);
  }
});

test('ParamError carries the index', () => {
  try {
    params('1,x').int(1, { min: 0, max: 9 });
    assert.fail('no error');
  } catch (err) {
    assert.ok(err instanceof ParamError);
    assert.equal(err.index, 1);
  }
});

test('signedInt accepts a leading minus', () => {
  assert.equal(params('-1').signedInt(0, { min: -1, max: 9 }), -1);
  assert.equal(params('4').signedInt(0, { min: -1, max: 9 }), 4);
  assert.throws(() => params('-2').signedInt(0, { min: -1, max: 9 }), ParamError);
  assert.equal(params('').signedInt(0, { min: -1, max: 9 }, -1), -1);
});

test('quoted requires quotes; text takes either', () => {
  assert.equal(params('"IP"').quoted(0), 'IP');
  assert.throws(() => params('IP').quoted(0), ParamError);
  assert.equal(params('').quoted(0, 'dflt'), 'dflt');
  assert.equal(params('ON').text(0), 'ON');
  assert.equal(params('"ON"').text(0), 'ON');
  assert.throws(() => params('').text(0), ParamError);
});

test('oneOf is case-insensitive and returns the canonical word', () => {
  assert.equal(params('"tcp"').oneOf(0, ['TCP', 'UDP']), 'TCP');
  assert.equal(params('udp').oneOf(0, ['TCP', 'UDP']), 'UDP');
  assert.throws(() => params('"SCTP"').oneOf(0, ['TCP', 'UDP']), ParamError);
});

test('count, isEmpty, atMost', () => {
  const p = params('1,,3');
  assert.equal(p.count, 3);
  assert.equal(p.isEmpty(1), true);
  assert.equal(p.isEmpty(2), false);
  assert.equal(p.isEmpty(7), true);
  assert.equal(p.atMost(3), p);
  assert.throws(() => p.atMost(2), ParamError);
});
