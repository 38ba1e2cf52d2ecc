import { SSL_CONTEXT_COUNT } from '../../at/ssl.js';

/**
 * The ten SSL contexts of AT+CSSLCFG (manual §19.2.1): what a session's handshake uses. Defaults
 * are the manual's (`+CSSLCFG: 6,4,0,1,300,"","","","",0` for an untouched context). The manual
 * gives no saving mode; the emulator resets them on reboot [INF] (the certificate *files* stay).
 */
export interface SslContext {
  /** 0 SSL 3.0, 1 TLS 1.0, 2 TLS 1.1, 3 TLS 1.2, 4 all. */
  sslversion: number;
  /** 0 no authentication, 1 server, 2 server and client, 3 client only. */
  authmode: number;
  /** 1: the certificates' validity period is not checked against the module's clock. */
  ignorelocaltime: number;
  /** Seconds the handshake may take (10–300). */
  negotiatetime: number;
  cacert: string;
  clientcert: string;
  clientkey: string;
  /** The client key's password file (A7670 firmware; not printed by every firmware). */
  password: string;
  /** 1: send the host name in the ClientHello (SNI). */
  enableSNI: number;
  /** Cipher suite as written (`0xFFFF` = all); stored and shown, the handshake offers Node's defaults [INF]. */
  ciphersuites: string;
}

export function defaultContext(): SslContext {
  return {
    sslversion: 4,
    authmode: 0,
    ignorelocaltime: 1,
    negotiatetime: 300,
    cacert: '',
    clientcert: '',
    clientkey: '',
    password: '',
    enableSNI: 0,
    ciphersuites: '0xFFFF',
  };
}

export function defaultContexts(): SslContext[] {
  return Array.from({ length: SSL_CONTEXT_COUNT }, defaultContext);
}

/** The numeric settings, by the name AT+CSSLCFG writes them (lower case, as real firmware insists). */
export const NUMERIC_SETTINGS = {
  sslversion: { min: 0, max: 4 },
  authmode: { min: 0, max: 3 },
  ignorelocaltime: { min: 0, max: 1 },
  negotiatetime: { min: 10, max: 300 },
  enableSNI: { min: 0, max: 1 },
} as const;

/** The settings naming a certificate file. */
export const FILE_SETTINGS = ['cacert', 'clientcert', 'clientkey', 'password'] as const;

export type NumericSetting = keyof typeof NUMERIC_SETTINGS;
export type FileSetting = (typeof FILE_SETTINGS)[number];

/** `+CSSLCFG: <ctx>,<sslversion>,<authmode>,<ignorelocaltime>,<negotiatetime>,"<ca>","<cert>","<key>","<pw>",<sni>`. */
export function describeContext(index: number, c: SslContext): string {
  return `+CSSLCFG: ${index},${c.sslversion},${c.authmode},${c.ignorelocaltime},${c.negotiatetime},"${c.cacert}","${c.clientcert}","${c.clientkey}","${c.password}",${c.enableSNI}`;
}
