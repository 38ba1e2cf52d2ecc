import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_RESPONSE_MS, maxResponseMs, timeFor } from '../../src/driver/timeouts.js';
import { commandError, readDetailLine } from '../../src/driver/errors.js';

test('timeouts: vendor maximum response times by command and form (spec §2.3)', () => {
  assert.equal(maxResponseMs('AT+NETOPEN'), 120_000);
  assert.equal(maxResponseMs('AT+CIPSEND=0,5'), 120_000);
  assert.equal(maxResponseMs('AT+CIPRXGET=2,0'), 9_000);
  assert.equal(maxResponseMs('AT+CDNSGIP="example.com"'), 6_000);
  assert.equal(maxResponseMs('AT+COPS=?'), 60_000);
  assert.equal(maxResponseMs('AT+COPS?'), DEFAULT_MAX_RESPONSE_MS);
  assert.equal(maxResponseMs('ATE0'), 120_000);
  assert.equal(maxResponseMs('at+csq'), DEFAULT_MAX_RESPONSE_MS);
  assert.equal(maxResponseMs('AT'), DEFAULT_MAX_RESPONSE_MS);
  // Several commands on one line: the longest.
  assert.equal(maxResponseMs('AT+CSQ;+COPS=?'), 60_000);
  assert.equal(maxResponseMs('not a command'), DEFAULT_MAX_RESPONSE_MS);
});

test('timeouts: overrides — by name, by form, default for the rest, * for everything', () => {
  assert.equal(maxResponseMs('AT+NETOPEN', { '+NETOPEN': 75_000 }), 75_000);
  assert.equal(maxResponseMs('AT+COPS=?', { '+COPS=?': 1_000 }), 1_000);
  assert.equal(maxResponseMs('AT+CSQ', { default: 500 }), 500);
  assert.equal(maxResponseMs('AT+NETOPEN', { default: 500 }), 120_000);
  assert.equal(maxResponseMs('AT+NETOPEN', { '*': 50 }), 50);
  assert.equal(maxResponseMs('AT+NETOPEN', { '*': 50, '+NETOPEN': 70 }), 70);
  assert.equal(timeFor('+CIPOPEN'), 120_000);
  assert.equal(timeFor('+CIPOPEN', { '*': 10 }), 10);
  assert.equal(timeFor('+UNKNOWN', { default: 11 }), 11);
});

test('errors: detail lines decode (spec §5)', () => {
  assert.deepEqual(readDetailLine('+CIPOPEN: 3,11'), { index: 3, err: 11, line: '+CIPOPEN: 3,11' });
  assert.deepEqual(readDetailLine('+SERVERSTOP: 1,9'), { index: 1, err: 9, line: '+SERVERSTOP: 1,9' });
  assert.deepEqual(readDetailLine('+IP ERROR: Network is already opened'), {
    ipError: { code: 4, text: 'Network is already opened' },
    line: '+IP ERROR: Network is already opened',
  });
  assert.deepEqual(readDetailLine('+IP ERROR: No Data')?.ipError?.code, 22);
  assert.equal(readDetailLine('+IPADDR: 10.0.0.1'), undefined);
  assert.equal(readDetailLine('+CSQ: 1,2'), undefined);
  const e = commandError('AT+CPIN?', '+CME ERROR: SIM busy', []);
  assert.deepEqual(e.detail.cme, { code: 14, text: 'SIM busy' });
  const cms = commandError('AT+CMGS', '+CMS ERROR: 304', []);
  assert.deepEqual(cms.detail.cms, { code: 304, text: '304' });
  assert.equal(commandError('AT+X', 'NO CARRIER', []).final, 'NO CARRIER');
});
