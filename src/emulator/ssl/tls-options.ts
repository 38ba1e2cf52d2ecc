import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import { CchErr } from '../../at/ssl.js';
import type { CertStore } from './cert-store.js';
import type { SslContext } from './contexts.js';

/**
 * What an SSL context means for Node's `tls` (docs/ssl-spec.md §5):
 *
 * - `authmode` 0 verifies nothing; 1 verifies the server's chain against the context's `cacert`
 *   file and its name against the host of AT+CCHOPEN [INF: the manual does not say whether the
 *   name is checked]; 2 does that and presents `clientcert`/`clientkey`; 3 only presents them.
 *   A file that is needed but not named, or named but not stored, fails the open with
 *   `<err>` 19 "certificates not set".
 * - `ignorelocaltime` 0 checks the server certificate's validity period against the module's own
 *   clock (AT+CCLK) and treats files marked by the `cert-expire` control verb as expired; 1 (the
 *   default) ignores validity periods.
 * - `enableSNI` 1 sends the host name (not an address) in the ClientHello.
 * - `sslversion` 1–3 pin TLS 1.0/1.1/1.2; 4 ("all") offers TLS 1.0–1.2 (the manual names no
 *   TLS 1.3) [INF]; 0 (SSL 3.0) cannot be spoken by Node: its handshakes fail (15).
 *
 * Verification is done here after the handshake, not by OpenSSL's `rejectUnauthorized`, so the
 * module's rules (its clock, its auth modes) decide rather than the host's.
 */
export type TlsPlan = { readonly ok: true; readonly options: ConnectionOptions } | { readonly ok: false; readonly err: number };

const VERSIONS: Readonly<Record<number, { min: SecureVersion; max: SecureVersion } | undefined>> = {
  1: { min: 'TLSv1', max: 'TLSv1' },
  2: { min: 'TLSv1.1', max: 'TLSv1.1' },
  3: { min: 'TLSv1.2', max: 'TLSv1.2' },
  4: { min: 'TLSv1', max: 'TLSv1.2' },
};

/**
 * PEM text of a stored certificate file: PEM (one certificate or a bundle) or DER. Undefined when
 * the file holds no certificate that parses: the open then fails with 19, as for a missing file [INF].
 */
function certificatePem(content: Buffer): string | undefined {
  const text = content.toString('latin1');
  try {
    if (!text.includes('-----BEGIN')) return new X509Certificate(content).toString();
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    const parsed = blocks.map((block) => new X509Certificate(block).toString());
    return parsed.length === 0 ? undefined : parsed.join('');
  } catch {
    return undefined;
  }
}

function privateKeyPem(content: Buffer, passphrase: string | undefined): string | undefined {
  try {
    const text = content.toString('latin1');
    const key = text.includes('-----BEGIN')
      ? createPrivateKey({ key: text, ...(passphrase !== undefined ? { passphrase } : {}) })
      : createPrivateKey({ key: content, format: 'der', type: 'pkcs8', ...(passphrase !== undefined ? { passphrase } : {}) });
    return key.export({ type: 'pkcs8', format: 'pem' }) as string;
  } catch {
    return undefined;
  }
}

/** The `tls.connect` options for a session to `host` under `context`, or the `<err>` that refuses it. */
export function planTls(context: SslContext, store: CertStore, host: string): TlsPlan {
  const versions = VERSIONS[context.sslversion];
  if (versions === undefined) return { ok: false, err: CchErr.Handshake };
  const options: ConnectionOptions = {
    minVersion: versions.min,
    maxVersion: versions.max,
    // TLS 1.0/1.1 need OpenSSL's security level 0; the module's own stack has no such level.
    ciphers: 'DEFAULT@SECLEVEL=0',
    rejectUnauthorized: false,
    // Node would check the name against `servername` (or "localhost"): the module's rule is below.
    checkServerIdentity: () => undefined,
  };
  const verifiesServer = context.authmode === 1 || context.authmode === 2;
  const presentsClient = context.authmode === 2 || context.authmode === 3;
  if (verifiesServer) {
    const ca = context.cacert === '' ? undefined : store.get(context.cacert);
    const pem = ca === undefined ? undefined : certificatePem(ca);
    if (pem === undefined) return { ok: false, err: CchErr.CertificatesNotSet };
    options.ca = [pem];
  }
  if (presentsClient) {
    const cert = context.clientcert === '' ? undefined : store.get(context.clientcert);
    const key = context.clientkey === '' ? undefined : store.get(context.clientkey);
    const password = context.password === '' ? undefined : store.get(context.password)?.toString('utf8').trim();
    const certPem = cert === undefined ? undefined : certificatePem(cert);
    const keyPem = key === undefined ? undefined : privateKeyPem(key, password);
    if (certPem === undefined || keyPem === undefined) return { ok: false, err: CchErr.CertificatesNotSet };
    options.cert = certPem;
    options.key = keyPem;
  }
  if (context.enableSNI === 1 && isIP(host) === 0) options.servername = host;
  return { ok: true, options };
}

const TIME_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CRL_HAS_EXPIRED', 'CRL_NOT_YET_VALID']);

/**
 * After the handshake: 0 when the module accepts the server, else `<err>` 15 (handshake).
 * `nowMs` is the module's clock (UTC ms) for the validity check.
 */
export function verifyServer(socket: TLSSocket, context: SslContext, store: CertStore, host: string, nowMs: number): number {
  if (context.sslversion === 0) return CchErr.Handshake;
  const checksTime = context.ignorelocaltime === 0;
  const presentsClient = context.authmode === 2 || context.authmode === 3;
  if (checksTime && presentsClient && (store.isExpired(context.clientcert) || store.isExpired(context.clientkey))) return CchErr.Handshake;
  if (context.authmode !== 1 && context.authmode !== 2) return CchErr.Ok;
  if (!socket.authorized) {
    const reason = String(socket.authorizationError ?? '');
    // OpenSSL checks dates against the host's clock; the module checks its own, or none at all.
    if (!TIME_ERRORS.has(reason)) return CchErr.Handshake;
  }
  const peer = socket.getPeerCertificate();
  if (peer === null || Object.keys(peer).length === 0) return CchErr.Handshake;
  if (checkServerIdentity(host, peer) !== undefined) return CchErr.Handshake;
  if (checksTime && (store.isExpired(context.cacert) || !validAt(peer, nowMs))) return CchErr.Handshake;
  return CchErr.Ok;
}

function validAt(cert: PeerCertificate, nowMs: number): boolean {
  const from = Date.parse(cert.valid_from);
  const to = Date.parse(cert.valid_to);
  return !(Number.isFinite(from) && nowMs < from) && !(Number.isFinite(to) && nowMs > to);
}
