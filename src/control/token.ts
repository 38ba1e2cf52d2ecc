import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The control server's shared secret. Like the Android emulator console's auth token: random per
 * run, kept in a file only its user can read, which `a76xx ctl` reads by default. Every request
 * carries it as `Authorization: Bearer <token>`.
 */

/** 192 random bits, URL-safe. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Where the token of the control server on `port` is kept: `$XDG_RUNTIME_DIR/a76xx/` (a per-user
 * directory that vanishes at logout) when there is one, else `~/.a76xx/`.
 */
export function defaultTokenPath(port: number, env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env['XDG_RUNTIME_DIR'];
  const dir = runtime !== undefined && runtime !== '' ? join(runtime, 'a76xx') : join(homedir(), '.a76xx');
  return join(dir, `control-${port}.token`);
}

/** Why the token file was not written: the path or its directory could let another user in. */
export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
}

const myUid = (): number | undefined => process.getuid?.();

/**
 * Write the token file, so that nobody else can read it or make us write elsewhere:
 * - its directory (made 0700 when missing) must be a real directory of ours that no one else can
 *   write to (else another user could swap the file under us);
 * - the file is created new (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600): a symlink planted there
 *   is never followed, a file someone else made is never written into. A stale token file of our
 *   own (a 0600 regular file of ours, left by a run that was killed) is replaced; anything else
 *   already at the path is refused.
 * Throws TokenFileError with the reason.
 */
export function writeTokenFile(path: string, token: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkDirectory(dir);
  const existing = lstatOrUndefined(path);
  if (existing !== undefined) {
    if (!isStaleTokenOfOurs(existing)) {
      throw new TokenFileError(`refusing to use ${path}: ${describeForeign(existing)}; remove it or choose another --token-file`);
    }
    unlinkSync(path);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ELOOP') throw new TokenFileError(`refusing to use ${path}: something else was created there meanwhile`);
    throw err;
  }
  try {
    const stats = fstatSync(fd);
    const uid = myUid();
    if (!stats.isFile() || (uid !== undefined && stats.uid !== uid)) throw new TokenFileError(`refusing to use ${path}: not a file of ours after creating it`);
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
}

function checkDirectory(dir: string): void {
  const stats = lstatSync(dir);
  if (stats.isSymbolicLink()) {
    // A link we may follow only if what it points at passes the same checks (e.g. /run/user/N).
    checkDirectoryStats(dir, lstatSync(realpathSync(dir)));
    return;
  }
  checkDirectoryStats(dir, stats);
}

function checkDirectoryStats(dir: string, stats: Stats): void {
  if (!stats.isDirectory()) throw new TokenFileError(`refusing to write the control token in ${dir}: not a directory`);
  const uid = myUid();
  if (uid !== undefined && stats.uid !== uid) {
    throw new TokenFileError(`refusing to write the control token in ${dir}: the directory belongs to uid ${stats.uid}, not to us (uid ${uid})`);
  }
  if ((stats.mode & 0o022) !== 0) {
    throw new TokenFileError(
      `refusing to write the control token in ${dir}: other users can write to it (mode ${(stats.mode & 0o7777).toString(8)}); ` +
        `use a directory only you can write to (chmod go-w ${dir}), or another --token-file`,
    );
  }
}

function isStaleTokenOfOurs(stats: Stats): boolean {
  const uid = myUid();
  return stats.isFile() && (uid === undefined || stats.uid === uid) && (stats.mode & 0o777) === 0o600 && stats.nlink === 1;
}

function describeForeign(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'it is a symbolic link (never followed)';
  if (!stats.isFile()) return 'it is not a regular file';
  const uid = myUid();
  if (uid !== undefined && stats.uid !== uid) return `the file belongs to uid ${stats.uid}, not to us`;
  if (stats.nlink !== 1) return 'the file has other hard links';
  return `the file was not made by a76xx (mode ${(stats.mode & 0o777).toString(8)}, a token file is 0600)`;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function readTokenFile(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token === '') throw new Error(`${path} is empty`);
  return token;
}

/** Remove the token file, unless another server has written its own token there meanwhile. */
export function removeTokenFile(path: string, token: string): void {
  try {
    if (lstatSync(path).isFile() && readTokenFile(path) === token) unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** Compare a presented token with the real one in constant time. */
export function tokenMatches(presented: string, token: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
