import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { collectAllowRule } from '../../src/cli/emulate.js';
import {
  AllowList,
  AllowListNetwork,
  AllowRuleError,
  parseAllowRule,
  type Refusal,
} from '../../src/emulator/network/allow-list.js';
import { NetworkError, type Network } from '../../src/emulator/network/types.js';
import { loadTranscript, runTranscript } from '../support/transcript-runner.js';
import { HOSTS, realFaultRig } from './rig.js';

/** `--allow HOST[:PORT]`: which destinations match, how the module answers the others. */

const TIMEOUT_MS = 20_000;

test('allow rules: addresses, blocks and names, with or without a port', () => {
  assert.deepEqual(parseAllowRule('127.0.0.1'), { host: '127.0.0.1', port: undefined });
  assert.deepEqual(parseAllowRule('10.0.0.0/8:443'), { host: '10.0.0.0/8', port: 443 });
  assert.deepEqual(parseAllowRule('echo.test:7'), { host: 'echo.test', port: 7 });
  for (const bad of ['', ':80', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:x', '::1', '[::1]:80', '10.0.0.0/33', '300.1.1.1', '1.2.3', 'a b', '-x.test', 'x_y.test']) {
    assert.throws(() => parseAllowRule(bad), AllowRuleError, bad);
  }
  // The CLI turns a bad rule into commander's bad-argument error (exit 1 with the reason).
  assert.throws(() => collectAllowRule('::1', undefined), InvalidArgumentError);
  assert.deepEqual(collectAllowRule('echo.test:7', ['127.0.0.1']), ['127.0.0.1', 'echo.test:7']);

  const list = AllowList.from(['127.0.0.1:7', '10.1.0.0/16', 'Echo.Test:9', '0.0.0.0/0:53'], new Map([['echo.test', '192.0.2.5']]));
  const allows = (address: string, port: number) => list.allows({ address, port });
  assert.equal(allows('127.0.0.1', 7), true);
  assert.equal(allows('127.0.0.1', 8), false);
  assert.equal(allows('127.0.0.2', 7), false);
  assert.equal(allows('10.1.255.255', 1), true);
  assert.equal(allows('10.2.0.0', 1), false);
  assert.equal(allows('192.0.2.5', 9), true, 'a name is its static-table address');
  assert.equal(allows('192.0.2.5', 10), false);
  assert.equal(allows('203.0.113.9', 53), true, '/0 is every address');
  assert.equal(allows('::ffff:127.0.0.1', 7), true, 'an IPv4-mapped address is its IPv4 address');
  assert.equal(allows('::1', 7), false);
  assert.equal(new AllowList([]).allows({ address: '127.0.0.1', port: 7 }), false, 'an empty list allows nothing');
  // A name must be in the static host table: it is never looked up anywhere else.
  assert.throws(() => AllowList.from(['nowhere.test']), /not in the static host table/);
});

test('the allow list refuses connects and datagrams before they reach the network', async () => {
  const reached: string[] = [];
  const inner: Network = {
    resolve: async (name) => name,
    connectTcp: async (o) => {
      reached.push(`tcp ${o.host}:${o.port}`);
      throw new NetworkError('refused', 'stub');
    },
    bindUdp: async () => ({
      local: { address: '127.0.0.1', port: 5000 },
      attach: () => {},
      send: async (_data, to) => void reached.push(`udp ${to.address}:${to.port}`),
      close: () => {},
    }),
    listenTcp: async () => {
      throw new NetworkError('failed', 'stub');
    },
  };
  const refusals: Refusal[] = [];
  const network = new AllowListNetwork(inner, AllowList.from(['127.0.0.1:7']), { onRefused: (r) => refusals.push(r) });
  await assert.rejects(network.connectTcp({ host: '127.0.0.2', port: 7 }), (err: NetworkError) => err.code === 'unreachable');
  await assert.rejects(network.connectTcp({ host: '127.0.0.1', port: 7 }), (err: NetworkError) => err.code === 'refused');
  const socket = await network.bindUdp({ port: 0 });
  await assert.rejects(socket.send(Buffer.from('x'), { address: '127.0.0.1', port: 8 }), (err: NetworkError) => err.code === 'unreachable');
  await socket.send(Buffer.from('x'), { address: '127.0.0.1', port: 7 });
  assert.deepEqual(reached, ['tcp 127.0.0.1:7', 'udp 127.0.0.1:7']);
  assert.deepEqual(refusals, [
    { kind: 'tcp', to: { address: '127.0.0.2', port: 7 } },
    { kind: 'udp', to: { address: '127.0.0.1', port: 8 } },
  ]);
});

test('allow-list transcript: allowed and refused destinations as the module answers them', { timeout: TIMEOUT_MS }, async () => {
  const refusals: string[] = [];
  const rig = await realFaultRig({
    wrap: (real, vars) =>
      new AllowListNetwork(real, AllowList.from([`127.0.0.0/8:${vars['TCP_PORT']}`, `server.test:${vars['UDP_PORT']}`], HOSTS), {
        onRefused: ({ kind, to }) => refusals.push(`${kind} ${to.address}:${to.port}`),
      }),
  });
  try {
    await runTranscript(rig.port, loadTranscript(join(import.meta.dirname, 'transcripts/allow/allow-list.txt'), rig.vars), {
      actions: {
        ...rig.actions,
        refused: ([kind, where]) => {
          const want = `${kind} ${where}`;
          const at = refusals.indexOf(want);
          if (at < 0) throw new Error(`no refusal ${want} (have ${JSON.stringify(refusals)})`);
          refusals.splice(at, 1);
        },
      },
    });
    assert.deepEqual(refusals, [], 'every refusal is accounted for');
  } finally {
    await rig.close();
  }
});
