import { CCERT_MAX_BYTES, isCertName } from '../../at/ssl.js';

/**
 * The module's certificate files (AT+CCERTDOWN / AT+CCERTLIST / AT+CCERTDELE): kept in the
 * module's flash, so they survive a reboot — the store belongs to the modem object, not to a life.
 *
 * Limits: one file is 1–10240 bytes and named 5–108 characters ending `.pem` or `.der` (manual
 * §19.2.2). How many files the flash holds is not documented; the store keeps at most
 * CERT_STORE_MAX_FILES files and CERT_STORE_MAX_BYTES bytes [INF], and a download past either
 * answers ERROR as a full file system would. Writing an existing name replaces the file.
 */
export const CERT_STORE_MAX_FILES = 32;
export const CERT_STORE_MAX_BYTES = 256 * 1024;

export type CertStoreRefusal = 'bad-name' | 'bad-size' | 'full';

export class CertStore {
  private readonly files = new Map<string, Buffer>();
  /** Files the control plane declared expired (`cert-expire`): see tls-options.ts. */
  private readonly expired = new Set<string>();

  /** Why `put(name, length)` would be refused, or undefined when it fits. */
  refusal(name: string, length: number): CertStoreRefusal | undefined {
    if (!isCertName(name)) return 'bad-name';
    if (length < 1 || length > CCERT_MAX_BYTES) return 'bad-size';
    const replaced = this.files.get(name)?.length;
    const count = this.files.size + (replaced === undefined ? 1 : 0);
    if (count > CERT_STORE_MAX_FILES || this.usedBytes - (replaced ?? 0) + length > CERT_STORE_MAX_BYTES) return 'full';
    return undefined;
  }

  put(name: string, content: Buffer): boolean {
    if (this.refusal(name, content.length) !== undefined) return false;
    this.files.set(name, Buffer.from(content));
    this.expired.delete(name);
    return true;
  }

  get(name: string): Buffer | undefined {
    return this.files.get(name);
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  delete(name: string): boolean {
    this.expired.delete(name);
    return this.files.delete(name);
  }

  /** Names in download order (what AT+CCERTLIST prints). */
  names(): string[] {
    return [...this.files.keys()];
  }

  get usedBytes(): number {
    let total = 0;
    for (const content of this.files.values()) total += content.length;
    return total;
  }

  /** Mark a stored file expired (true) or valid again; false when there is no such file. */
  setExpired(name: string, expired: boolean): boolean {
    if (!this.files.has(name)) return false;
    if (expired) this.expired.add(name);
    else this.expired.delete(name);
    return true;
  }

  isExpired(name: string): boolean {
    return this.expired.has(name);
  }
}
