import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Modem } from '../../src/driver/modem.js';
import { CHUNKINGS, chunkingName, collect, withFixture } from './support/harness.js';

/** Short guard times (well above the scripts' `! quiet 15` checks), and a bounded wait for `OK`. */
const FAST = { transparent: true, guardMs: 80, escapeAnswerMs: 150 } as const;

for (const chunking of CHUNKINGS) {
  const tag = chunkingName(chunking);

  test(`transparent [${tag}]: CLOSED then silence after +++ = the peer closed; held URCs parsed after`, () =>
    withFixture({
      fixture: 'transparent-peer-close.txt',
      chunking,
      make: (host) => new Modem(host, FAST),
      run: async (modem) => {
        const data: Buffer[] = [];
        modem.on('data', (link, bytes) => {
          assert.equal(link, 0);
          data.push(bytes);
        });
        const closed = collect<[number, number]>((l) => modem.on('link-closed', l), 2);
        await modem.openTcp(modem.allocateLink(0), '127.0.0.1', 5253);
        // The first report is CLOSED (reason 1, by the peer); the held +IPCLOSE: 0,1 repeats it.
        assert.deepEqual(await closed, [
          [0, 1],
          [0, 1],
        ]);
        assert.equal(Buffer.concat(data).toString('latin1'), 'last data');
        assert.equal(modem.channel.inDataMode, false);
        assert.equal(modem.linkState(0), 'closed');
        const writeError = await new Promise<Error | null | undefined>((resolve) => modem.writeTransparent(Buffer.from('late'), resolve));
        assert.ok(writeError instanceof Error, 'no writes after the end');
        // Commands work again.
        const response = await modem.command('AT+CIPOPEN?');
        assert.equal(response.lines.length, 10);
      },
    }));

  test(`transparent [${tag}]: CLOSED inside the data, OK after +++ = data; ATO resumes; held writes go out after`, () =>
    withFixture({
      fixture: 'transparent-closed-in-data.txt',
      chunking,
      make: (host) => new Modem(host, FAST),
      run: async (modem) => {
        const data: Buffer[] = [];
        modem.on('data', (_link, bytes) => data.push(bytes));
        const closed: number[] = [];
        modem.on('link-closed', (link) => closed.push(link));
        const candidate = new Promise<void>((resolve) => modem.channel.once('close-candidate', resolve));
        await modem.openTcp(modem.allocateLink(0), '127.0.0.1', 5253);
        await candidate;
        // Written while the probe holds the line: it must wait for ATO.
        const written = new Promise<Error | null | undefined>((resolve) => modem.writeTransparent(Buffer.from('held while probing'), resolve));
        assert.equal(await written, null);
        const until = Date.now() + 2_000;
        while (Buffer.concat(data).length < 'before\r\nCLOSED\r\naftermore data'.length && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
        assert.equal(Buffer.concat(data).toString('latin1'), 'before\r\nCLOSED\r\naftermore data');
        assert.deepEqual(closed, []);
        assert.equal(modem.channel.inDataMode, true);
        assert.equal(modem.linkState(0), 'open');
      },
    }));
}
