import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsLookupError } from '../../src/driver/errors.js';
import type { LookupAddress } from '../../src/driver/dns.js';
import { startEmulated } from './support/emulated.js';

test('lookup: dns.lookup shapes over AT+CDNSGIP (callback, family, all, IP literals, failures)', { timeout: 10_000 }, async () => {
  const em = await startEmulated({ mode: 'push', hosts: { 'db.test': '127.0.0.9' } });
  try {
    const lookup = em.a76xx.lookup;
    const one = await new Promise<[Error | null, string, number]>((r) => lookup('db.test', (e, a, f) => r([e, a, f])));
    assert.deepEqual(one, [null, '127.0.0.9', 4]);
    const v4 = await new Promise<[Error | null, string, number]>((r) => lookup('db.test', 4, (e, a, f) => r([e, a, f])));
    assert.deepEqual(v4, [null, '127.0.0.9', 4]);
    const all = await new Promise<[Error | null, LookupAddress[]]>((r) => lookup('db.test', { all: true }, (e, list) => r([e, list])));
    assert.deepEqual(all, [null, [{ address: '127.0.0.9', family: 4 }]]);
    const literal = await new Promise<[Error | null, string, number]>((r) => lookup('::1', (e, a, f) => r([e, a, f])));
    assert.deepEqual(literal, [null, '::1', 6]);
    const v6only = await new Promise<Error | null>((r) => lookup('db.test', { family: 6 }, (e) => r(e)));
    assert.ok(v6only instanceof DnsLookupError, 'no IPv6 address');
    const missing = await new Promise<[Error | null, string]>((r) => lookup('nowhere.test', (e, a) => r([e, a])));
    assert.ok(missing[0] instanceof DnsLookupError, 'DnsLookupError');
    assert.equal((missing[0] as DnsLookupError).dnsError, 10);
    assert.equal((missing[0] as DnsLookupError).hostname, 'nowhere.test');
    assert.equal(missing[1], '');
    assert.deepEqual(await em.a76xx.resolve('db.test'), ['127.0.0.9']);
    assert.throws(() => (lookup as unknown as (h: string) => void)('db.test'), TypeError);
  } finally {
    await em.close();
  }
});
