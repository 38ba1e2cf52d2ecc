import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { InvalidArgumentError } from 'commander';
import { parseHostEntry } from '../../src/cli/emulate.js';
import { AllowList, AllowListNetwork, AllowRuleError } from '../../src/emulator/network/allow-list.js';
import { hostTable, HostTableError, lookupHost } from '../../src/emulator/network/host-table.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { exitOf, spawnCli } from '../e2e/spawn-cli.js';

/**
 * Issue 13 item 8: `--host Evil.test=127.0.0.2 --host evil.test=127.0.0.1 --allow evil.test:B` let
 * the rule take the first entry and the resolver the last. Names now compare one way everywhere
 * (ignoring case), and a name given twice is an error at start.
 */

test('host table: names compare ignoring case; a name given twice, in any case, is an error', () => {
  const table = hostTable([['Echo.Test', '127.0.0.1']]);
  assert.equal(lookupHost(table, 'echo.test'), '127.0.0.1');
  assert.equal(lookupHost(table, 'ECHO.TEST'), '127.0.0.1');
  assert.equal(lookupHost(table, 'other.test'), undefined);
  assert.throws(() => hostTable([['Evil.test', '127.0.0.2'], ['evil.test', '127.0.0.1']]), (err: unknown) => err instanceof HostTableError && /Evil\.test|evil\.test/.test(err.message) && /twice/.test(err.message));
  // The CLI: the second --host is a bad argument (exit 1 with the reason), not a silent override.
  const first = parseHostEntry('Evil.test=127.0.0.2', undefined);
  assert.throws(() => parseHostEntry('evil.test=127.0.0.1', first), (err: unknown) => err instanceof InvalidArgumentError && /given twice/.test(err.message));
  // Every consumer refuses a table with a name twice rather than picking one.
  const doubled = new Map([['Evil.test', '127.0.0.2'], ['evil.test', '127.0.0.1']]);
  assert.throws(() => AllowList.from(['evil.test:7'], doubled), (err: unknown) => err instanceof AllowRuleError && /twice/.test(err.message));
  assert.throws(() => new RealNetwork({ hosts: doubled, staticOnly: true }), HostTableError);
});

test('host table: the allow rule and the resolver mean the same entry, whatever the case', async () => {
  const allowed = createServer((socket) => socket.end('allowed\n'));
  await new Promise<void>((resolve) => allowed.listen(0, '127.0.0.1', resolve));
  const port = (allowed.address() as AddressInfo).port;
  try {
    const hosts = new Map([['Peer.Test', '127.0.0.1']]);
    const network = new AllowListNetwork(new RealNetwork({ hosts, staticOnly: true }), AllowList.from([`peer.test:${port}`], hosts));
    for (const name of ['peer.test', 'PEER.TEST', 'Peer.Test']) {
      const address = await network.resolve(name);
      assert.equal(address, '127.0.0.1', name);
      assert.equal(network.list.allows({ address, port }), true, name);
      assert.equal(network.list.allows({ address: '127.0.0.2', port }), false);
    }
    await assert.rejects(network.connectTcp({ host: '127.0.0.2', port }), /not allowed/);
  } finally {
    allowed.close();
  }
});

test('cli: emulate with a --host name given twice (other case) exits at start with the reason', { timeout: 30_000 }, async () => {
  const cli = spawnCli(['emulate', '--tcp', '127.0.0.1:0', '--host', 'Evil.test=127.0.0.2', '--host', 'evil.test=127.0.0.1', '--allow', 'evil.test:9']);
  try {
    const { code } = await exitOf(cli, 20_000);
    assert.notEqual(code, 0);
    assert.match(cli.stderr.bytes.toString(), /evil\.test is given twice/);
    assert.doesNotMatch(cli.stdout.bytes.toString(), /ready/);
  } finally {
    cli.dispose();
  }
});
