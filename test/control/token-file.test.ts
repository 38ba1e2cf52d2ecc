import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenFileError, writeTokenFile } from '../../src/control/token.js';

/**
 * Issue 13 item 7: the token file cannot be hijacked. A link planted at the path is never followed,
 * a file we did not create is never written into, a directory others can write to is refused —
 * each with a message saying why, and the planted target untouched.
 */

function inTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'a76xx-token-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const refused = (pattern: RegExp) => (err: unknown) => err instanceof TokenFileError && pattern.test(err.message);

test('token file: a symlink planted at the path is not followed, its target keeps its bytes and mode', () => {
  inTempDir((dir) => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n', { mode: 0o644 });
    chmodSync(victim, 0o644);
    const path = join(dir, 'control.token');
    symlinkSync(victim, path);
    assert.throws(() => writeTokenFile(path, 'TOKEN'), refused(/symbolic link/));
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    assert.equal(statSync(victim).mode & 0o777, 0o644);
    assert.ok(lstatSync(path).isSymbolicLink(), 'the link is left alone');
    // A dangling link (pointing where the token would be created) is refused too.
    const dangling = join(dir, 'dangling.token');
    symlinkSync(join(dir, 'would-be-created'), dangling);
    assert.throws(() => writeTokenFile(dangling, 'TOKEN'), refused(/symbolic link/));
    assert.throws(() => statSync(join(dir, 'would-be-created')));
  });
});

test('token file: a pre-created file is never written into (foreign mode, hard link, other owner)', () => {
  inTempDir((dir) => {
    const planted = join(dir, 'planted.token');
    writeFileSync(planted, '');
    chmodSync(planted, 0o666);
    assert.throws(() => writeTokenFile(planted, 'TOKEN'), refused(/not made by a76xx/));
    assert.equal(readFileSync(planted, 'utf8'), '');

    const original = join(dir, 'original');
    writeFileSync(original, 'x');
    chmodSync(original, 0o600);
    const hard = join(dir, 'hard.token');
    linkSync(original, hard);
    assert.throws(() => writeTokenFile(hard, 'TOKEN'), refused(/hard links/));
    assert.equal(readFileSync(original, 'utf8'), 'x');

    if (process.getuid?.() === 0) {
      // As root we can make a file belong to someone else, as an attacker would have.
      const theirs = join(dir, 'theirs.token');
      writeFileSync(theirs, '');
      chmodSync(theirs, 0o600);
      chownSync(theirs, 65534, 65534);
      assert.throws(() => writeTokenFile(theirs, 'TOKEN'), refused(/belongs to uid 65534/));
      assert.equal(readFileSync(theirs, 'utf8'), '');
    }
  });
});

test('token file: a directory others can write to, or of another owner, is refused', () => {
  inTempDir((dir) => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.throws(() => writeTokenFile(join(open, 'control.token'), 'TOKEN'), refused(/other users can write to it \(mode 777\)/));
    assert.throws(() => statSync(join(open, 'control.token')));
    chmodSync(open, 0o1777);
    assert.throws(() => writeTokenFile(join(open, 'control.token'), 'TOKEN'), refused(/mode 1777/));
    if (process.getuid?.() === 0) {
      const theirs = join(dir, 'theirs');
      mkdirSync(theirs, { mode: 0o700 });
      chownSync(theirs, 65534, 65534);
      assert.throws(() => writeTokenFile(join(theirs, 'control.token'), 'TOKEN'), refused(/belongs to uid 65534/));
    }
    // A fresh directory is made 0700 and used; the file is 0600.
    const path = join(dir, 'fresh', 'control.token');
    writeTokenFile(path, 'TOKEN');
    assert.equal(statSync(join(dir, 'fresh')).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), 'TOKEN\n');
  });
});
