import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/emulator/clock.js';
import { LinkTable, type LinkUser } from '../../src/driver/link-table.js';

/** A socket stand-in that records what it is told. */
function user(name: string, told: string[]): LinkUser {
  return {
    linkData: (bytes) => told.push(`${name} data ${bytes.toString()}`),
    linkReadable: () => told.push(`${name} readable`),
    linkClosed: (reason) => told.push(`${name} closed ${reason}`),
    linkFailed: (error) => told.push(`${name} failed ${error.message}`),
  };
}

test('a link owner lives as long as its reservation: released links forget it', () => {
  const table = new LinkTable(new FakeClock());
  const told: string[] = [];
  const link = table.allocate(3);
  const a = user('a', told);
  assert.equal(table.claim(link, a), false);
  assert.equal(table.owner(link), a);
  assert.deepEqual(table.owners(), [a]);
  table.release(link);
  assert.equal(table.owner(link), undefined);
  assert.deepEqual(table.owners(), []);
});

test('disown only removes the owner asking; a later claim stays', () => {
  const table = new LinkTable(new FakeClock());
  const told: string[] = [];
  const [a, b] = [user('a', told), user('b', told)];
  table.claim(2, a);
  table.claim(2, b);
  table.disown(2, a);
  assert.equal(table.owner(2), b);
  table.disown(2, b);
  assert.equal(table.owner(2), undefined);
});

test("a buffer-mode notice before the owner is handed to the owner's claim once, and a release drops it", () => {
  const table = new LinkTable(new FakeClock());
  const told: string[] = [];
  table.noteUnclaimedReadable(4);
  assert.equal(table.claim(4, user('a', told)), true);
  assert.equal(table.claim(4, user('b', told)), false, 'told once');
  table.noteUnclaimedReadable(5);
  table.release(5);
  assert.equal(table.claim(5, user('c', told)), false, 'a released link keeps no stale notice');
  table.noteUnclaimedReadable(6);
  table.disownAll();
  assert.deepEqual(table.owners(), []);
  assert.equal(table.claim(6, user('d', told)), false, 'disownAll drops waiting notices too');
});
