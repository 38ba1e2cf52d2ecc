import { after, before, test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeBytes, unescapeBytes } from '../../src/at/escape.js';
import { checkArgs, wordsToArgs } from '../../src/control/params.js';
import { NetworkOutage } from '../../src/control/outage.js';
import { verbNamed } from '../../src/control/verbs.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { freePort, peerActions, TcpPeer } from '../support/peers.js';
import type { TranscriptStep } from '../../src/at/transcript.js';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';
import { makePki, type Pki } from './pki.js';
import { TlsPeer } from './tls-peer.js';

/**
 * Every transcript in test/transcripts/ssl runs against a fresh in-process modem on the real
 * network backend, with loopback TLS servers of its own and certificates made for the run.
 * Variables:
 *   ${TLS_PORT}        a TLS server with a certificate for server.test / 127.0.0.1 signed by the CA
 *   ${WRONG_CA_PORT}   the same names, signed by another CA
 *   ${WRONG_NAME_PORT} signed by the CA, for other.test only
 *   ${MTLS_PORT}       like TLS_PORT, and it asks for a client certificate signed by the CA
 *   ${CLOSED_PORT}     nobody listens there
 *   ${TCP_PORT}        a plain TCP server (client type 1), driven by the `tcp-*` actions of test/support/peers.ts
 *   ${ALL_BYTES}, ${MAX_SEND}: 2048 bytes holding every byte value 8 times, and its length
 *   ${HALF_1}, ${HALF_2}: its first and second 1024 bytes
 *   ${CA}, ${CA_LEN}, ${CA_DER}, ${CA_DER_LEN}, ${CLIENT_CERT}, ${CLIENT_CERT_LEN}, ${CLIENT_KEY}, ${CLIENT_KEY_LEN}:
 *                      the files to download, escaped for `>>` lines, and their lengths
 * Actions: `tls-expect <server> <n> <text>` (connection n of server TLS|MTLS got these bytes),
 *   `tls-send <server> <n> <text>`, `tls-end <server> <n>`, `tls-sni <server> <n> <name|none>`,
 *   `tls-client-cert <server> <n> yes|no`, `lose-network` (the network-loss verb), `reboot`,
 *   `ctl VERB WORDS…` (a control verb, e.g. `ctl ssl-handshake-fail on`, `ctl cert-expire ca.pem`).
 */
let pki: Pki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

const dir = join(import.meta.dirname, '../transcripts/ssl');
/** Host command lines end in CR (as written) or CR LF (the LF must be taken as part of the terminator). */
function withLineEnd(steps: TranscriptStep[], crlf: boolean): TranscriptStep[] {
  if (!crlf) return steps;
  return steps.map((step, i) => {
    const next = steps[i + 1];
    const isCommand = step.kind === 'send' && step.bytes.at(-1) === 0x0d && !(next?.kind === 'expect' && next.line === step.line);
    return isCommand ? { ...step, bytes: Buffer.concat([step.bytes, Buffer.from('\n')]) } : step;
  });
}


for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) for (const crlf of [false, true]) {
  test(`ssl transcript ${file} (${crlf ? 'CR LF' : 'CR'})`, async () => {
    const peers: Record<string, TlsPeer> = {
      TLS: await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey }),
      WRONG_CA: await TlsPeer.start({ cert: pki.otherServerCert, key: pki.otherServerKey }),
      WRONG_NAME: await TlsPeer.start({ cert: pki.wrongNameCert, key: pki.wrongNameKey }),
      MTLS: await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert }),
    };
    const tcp = await TcpPeer.start();
    const file64 = (b: Buffer) => escapeBytes(b);
    const allBytes = Buffer.from(Array.from({ length: 2048 }, (_, i) => i % 256));
    const vars = {
      TLS_PORT: peers.TLS!.port,
      WRONG_CA_PORT: peers.WRONG_CA!.port,
      WRONG_NAME_PORT: peers.WRONG_NAME!.port,
      MTLS_PORT: peers.MTLS!.port,
      CLOSED_PORT: await freePort('tcp'),
      TCP_PORT: tcp.port,
      ALL_BYTES: escapeBytes(allBytes),
      MAX_SEND: allBytes.length,
      HALF_1: escapeBytes(allBytes.subarray(0, 1024)),
      HALF_2: escapeBytes(allBytes.subarray(1024)),
      CA: file64(pki.caCert),
      CA_LEN: pki.caCert.length,
      CA_DER: file64(pki.caCertDer),
      CA_DER_LEN: pki.caCertDer.length,
      CLIENT_CERT: file64(pki.clientCert),
      CLIENT_CERT_LEN: pki.clientCert.length,
      CLIENT_KEY: file64(pki.clientKey),
      CLIENT_KEY_LEN: pki.clientKey.length,
    };
    const network = new RealNetwork({ hosts: new Map([['server.test', '127.0.0.1']]), staticOnly: true });
    const modem = new EmulatedModem({ config: { bootUrcs: false }, network });
    const peer = (name: string | undefined) => {
      const p = peers[name ?? ''];
      if (p === undefined) throw new Error(`no TLS server ${name}`);
      return p;
    };
    // The control verbs as the control plane runs them, on this modem (no simulated network under it).
    const target = { id: '0', modem, line: undefined as never, network: undefined, outage: new NetworkOutage(undefined, modem.clock) };
    const verb = async (name: string, words: readonly string[]) => {
      const spec = verbNamed(name);
      await spec.run(target, checkArgs(spec.params, wordsToArgs(spec.params, words)));
    };
    const connection = async (args: readonly string[]) => peer(args[0]).connection(Number(args[1]));
    try {
      await runTranscript(modemPort(modem), withLineEnd(loadTranscript(join(dir, file), vars), crlf), {
        actions: {
          ...peerActions({ tcp }),
          'tls-expect': async (args) => {
            const want = unescapeBytes(args.slice(2).join(' '));
            const got = await (await connection(args)).read(want.length);
            if (!got.equals(want)) throw new Error(`tls-expect: got ${JSON.stringify(escapeBytes(got).slice(0, 200))}, want ${JSON.stringify(escapeBytes(want).slice(0, 200))}`);
          },
          'tls-send': async (args) => {
            (await connection(args)).socket.write(unescapeBytes(args.slice(2).join(' ')));
          },
          'tls-reset': async (args) => {
            // The TCP socket under the server's TLS socket (Node keeps it as `_parent`) can send the RST.
            const tlsSocket = (await connection(args)).socket as unknown as { _parent?: { resetAndDestroy(): void } };
            if (tlsSocket._parent === undefined) throw new Error('tls-reset: no TCP socket under the TLS socket');
            tlsSocket._parent.resetAndDestroy();
          },
          'tls-end': async (args) => {
            (await connection(args)).socket.end();
          },
          'tls-ended': async (args) => {
            await (await connection(args)).waitEnded();
          },
          'tls-sni': async (args) => {
            const got = (await connection(args)).servername;
            const want = args[2] === 'none' ? false : args[2];
            if (got !== want) throw new Error(`tls-sni: server saw ${String(got)}, want ${String(want)}`);
          },
          'tls-client-cert': async (args) => {
            const got = (await connection(args)).clientAuthorized;
            if (got !== (args[2] === 'yes')) throw new Error(`tls-client-cert: authorized=${got}`);
          },
          'lose-network': () => verb('network-loss', []),
          reboot: () => modem.reboot(),
          ctl: async ([name, ...words]) => {
            await verb(name ?? '', words);
          },
        },
      });
    } finally {
      modem.reboot();
      for (const p of Object.values(peers)) p.close();
      tcp.close();
    }
  });
}
