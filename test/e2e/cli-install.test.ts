import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/cli.js';

/**
 * The README's global install: `npm link` (or `npm install -g .`, the same symlink with npm ≥ 9)
 * puts `a76xx` on the PATH. Here into a temporary prefix, without the network (`--offline`), then
 * `a76xx` is run from a folder outside the repository, as a user's shell or `socat EXEC:` runs it.
 */
const run = promisify(execFile);

test('global install: after npm link, `a76xx` runs from a folder outside the repository', { timeout: 90_000 }, async () => {
  const prefix = mkdtempSync(join(tmpdir(), 'a76xx-prefix-'));
  const elsewhere = mkdtempSync(join(tmpdir(), 'a76xx-elsewhere-'));
  try {
    await run('npm', ['link', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: ROOT,
      env: { ...process.env, npm_config_prefix: prefix },
      timeout: 60_000,
    });
    const bin = join(prefix, 'bin');
    const env = { ...process.env, PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}` };
    assert.ok(!realpathSync(elsewhere).startsWith(realpathSync(ROOT)), 'the folder is outside the repository');
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const shown = await run('a76xx', ['--version'], { cwd: elsewhere, env, timeout: 20_000 });
    assert.equal(shown.stdout.trim(), version);
    // What `socat … EXEC:"a76xx emulate --stdio"` runs.
    const answer = await new Promise<string>((resolve, reject) => {
      const child = spawn('a76xx', ['emulate', '--stdio', '--no-boot-urcs'], { cwd: elsewhere, env });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no answer: ${out}`));
      }, 20_000);
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
      child.stdin.end('AT+CGMM\r');
    });
    assert.match(answer, /^AT\+CGMM\r\r\nA76[\w-]+\r\n\r\nOK\r\n$/);
  } finally {
    rmSync(prefix, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});
