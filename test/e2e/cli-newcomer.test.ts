import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitOf, spawnCli } from './spawn-cli.js';

/** Issue 15, item 2: what a new user met, each checked. */
const T = { timeout: 30_000 };

test('emulate --tcp 0.0.0.0:0 warns with the port it got, not port 0', T, async () => {
  const cli = spawnCli(['emulate', '--tcp', '0.0.0.0:0', '--no-boot-urcs']);
  try {
    const endpoint = await cli.ready();
    assert.equal(endpoint.kind, 'tcp');
    const port = endpoint.kind === 'tcp' ? endpoint.port : -1;
    assert.ok(port > 0);
    const warning = await cli.stderr.contains('not loopback', 5000);
    assert.match(warning.toString(), new RegExp(`warning: listening on 0\\.0\\.0\\.0:${port}, not loopback`));
    assert.doesNotMatch(cli.stderr.bytes.toString(), /0\.0\.0\.0:0\b/);
  } finally {
    cli.child.kill('SIGTERM');
    await exitOf(cli).catch(() => undefined);
    cli.dispose();
  }
});
