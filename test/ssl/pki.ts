import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PKI for the SSL tests, made with the `openssl` CLI in a temp dir: EC P-256 keys
 * (the module handles P-256, not P-384: LilyGo-Modem-Series#75), long validity.
 *
 * - `ca` signs `server` (SAN server.test, 127.0.0.1), `wrongName` (SAN other.test) and `client`;
 * - `otherCa` signs nothing the tests trust: a server chained to it is "the wrong CA".
 */
export interface Pki {
  readonly caCert: Buffer;
  readonly otherCaCert: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly wrongNameCert: Buffer;
  readonly wrongNameKey: Buffer;
  readonly otherServerCert: Buffer;
  readonly otherServerKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  /** `ca` in DER form. */
  readonly caCertDer: Buffer;
  cleanup(): void;
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'a76xx-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  const ca = (name: string, cn: string) => {
    key(name);
    run('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '36500', '-out', `${name}.pem`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const leaf = (name: string, issuer: string, cn: string, san: string, usage: string) => {
    key(name);
    run('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial',
      '-days', '36500', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  };
  ca('ca', 'a76xx test CA');
  ca('other-ca', 'a76xx other CA');
  leaf('server', 'ca', 'server.test', 'DNS:server.test,IP:127.0.0.1', 'serverAuth');
  leaf('wrong-name', 'ca', 'other.test', 'DNS:other.test', 'serverAuth');
  leaf('other-server', 'other-ca', 'server.test', 'DNS:server.test,IP:127.0.0.1', 'serverAuth');
  leaf('client', 'ca', 'a76xx client', 'DNS:client.test', 'clientAuth');
  run('x509', '-in', 'ca.pem', '-outform', 'DER', '-out', 'ca.der');
  const read = (file: string) => readFileSync(join(dir, file));
  return {
    caCert: read('ca.pem'),
    otherCaCert: read('other-ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    wrongNameCert: read('wrong-name.pem'),
    wrongNameKey: read('wrong-name.key'),
    otherServerCert: read('other-server.pem'),
    otherServerKey: read('other-server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    caCertDer: read('ca.der'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
