import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, closeSync, writeSync, readFileSync, unlinkSync, fchmodSync } from 'node:fs';
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

/** Write the token file (mode 0600, its directory 0700 when we create it). */
export function writeTokenFile(path: string, token: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'w', 0o600);
  try {
    // An existing file keeps its mode on open: make sure.
    fchmodSync(fd, 0o600);
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
}

export function readTokenFile(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token === '') throw new Error(`${path} is empty`);
  return token;
}

/** Remove the token file, unless another server has written its own token there meanwhile. */
export function removeTokenFile(path: string, token: string): void {
  try {
    if (readTokenFile(path) === token) unlinkSync(path);
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
