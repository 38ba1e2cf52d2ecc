import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { Host } from './host.js';
import { makePki, type Pki } from './pki.js';
import { TlsPeer } from './tls-peer.js';

/**
 * Random SSL command sequences (right and wrong: bad ids, lengths, orders, files; with a server
 * that sends, closes and resets) against one module: no internal error is logged, every command
 * ends with OK or ERROR, and `AT` answers OK at the end.
 */
const T = { timeout: 60_000 };
let pki: Pki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

type Step =
  | { readonly kind: 'at'; readonly line: string }
  | { readonly kind: 'send'; readonly session: number; readonly length: number }
  | { readonly kind: 'download'; readonly name: string; readonly content: 'ca' | 'junk' }
  | { readonly kind: 'server'; readonly action: 'send' | 'end' | 'reset' };

function steps(port: number): fc.Arbitrary<Step[]> {
  const session = fc.constantFrom(0, 1, 2, 9);
  const line = fc.oneof(
    fc.constantFrom('AT+CCHSTART', 'AT+CCHSTOP', 'AT+CCHSET=1,1', 'AT+CCHSET=0,0', 'AT+CCHSET=1', 'AT+CCHMODE=0', 'AT+CCHMODE=1', 'AT+CCHRECV?', 'AT+CCHSEND?', 'AT+CCHOPEN?', 'AT+CCERTLIST', 'AT+CSSLCFG?'),
    fc.tuple(session, fc.constantFrom(1, 2, 3, undefined)).map(([s, t]) => `AT+CCHOPEN=${s},"127.0.0.1",${port}${t === undefined ? '' : `,${t}`}`),
    session.map((s) => `AT+CCHCLOSE=${s}`),
    fc.tuple(session, fc.constantFrom(0, 1, 5, 2048, 4000)).map(([s, n]) => `AT+CCHRECV=${s},${n}`),
    fc.tuple(session, fc.constantFrom(0, 1, 10)).map(([s, c]) => `AT+CCHSSLCFG=${s},${c}`),
    fc.tuple(fc.constantFrom('authmode', 'sslversion', 'ignorelocaltime', 'enableSNI', 'negotiatetime'), fc.constantFrom(0, 1, 3, 4, 9, 300)).map(([k, v]) => `AT+CSSLCFG="${k}",0,${v}`),
    fc.constantFrom('AT+CSSLCFG="cacert",0,"ca.pem"', 'AT+CSSLCFG="cacert",0,"junk.pem"', 'AT+CCERTDELE="ca.pem"', 'AT+CCHSEND=0,0', 'AT+CCHSEND=0,2049'),
  );
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: line.map((l) => ({ kind: 'at' as const, line: l })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0, 1), fc.constantFrom(1, 100, 2048)).map(([s, n]) => ({ kind: 'send' as const, session: s, length: n })) },
    { weight: 1, arbitrary: fc.constantFrom('ca', 'junk').map((c) => ({ kind: 'download' as const, name: `${c}.pem`, content: c as 'ca' | 'junk' })) },
    { weight: 1, arbitrary: fc.constantFrom('send', 'end', 'reset').map((a) => ({ kind: 'server' as const, action: a as 'send' | 'end' | 'reset' })) },
  );
  return fc.array(step, { minLength: 5, maxLength: 25 });
}

test('random SSL command sequences: no internal error, every command answered, AT answers OK', T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  try {
    await fc.assert(
      fc.asyncProperty(steps(peer.port), async (plan) => {
        const problems: string[] = [];
        const modem = new EmulatedModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }), log: (m) => problems.push(m) });
        const host = new Host(modem);
        try {
          await host.at('ATE0');
          for (const step of plan) {
            if (step.kind === 'at') {
              await host.at(step.line);
            } else if (step.kind === 'send') {
              host.send(`AT+CCHSEND=${step.session},${step.length}\r`);
              const answer = await host.take(/\r\n>|\r\nERROR\r\n/);
              if (answer.endsWith('>')) {
                host.send(Buffer.alloc(step.length, 0x5a));
                await host.take(/\r\n(OK|ERROR)\r\n/);
              }
            } else if (step.kind === 'download') {
              const content = step.content === 'ca' ? pki.caCert : Buffer.from('-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
              host.send(`AT+CCERTDOWN="${step.name}",${content.length}\r`);
              if ((await host.take(/\r\n>|\r\nERROR\r\n/)).endsWith('>')) {
                host.send(content);
                await host.take(/\r\n(OK|ERROR)\r\n/);
              }
            } else {
              const live = peer.connections.filter((c) => !c.ended);
              const c = live[live.length - 1];
              if (c !== undefined) {
                if (step.action === 'send') c.socket.write('data from the server');
                else if (step.action === 'end') c.socket.end();
                else (c.socket as unknown as { _parent?: { resetAndDestroy(): void } })._parent?.resetAndDestroy();
              }
            }
          }
          // Let opens, closes and pushes in flight settle, then the module must still answer.
          await new Promise((r) => setTimeout(r, 30));
          host.output = Buffer.alloc(0);
          assert.match(await host.at('AT'), /OK/);
        } finally {
          modem.reboot();
        }
        assert.deepEqual(problems, []);
      }),
      { numRuns: 25, seed: 1612 },
    );
  } finally {
    peer.close();
  }
});
