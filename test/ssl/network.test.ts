import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { controlledModem } from '../../src/control/target.js';
import { verbNamed } from '../../src/control/verbs.js';
import { checkArgs } from '../../src/control/params.js';
import { statusOf } from '../../src/control/status.js';
import { AllowList, AllowListNetwork } from '../../src/emulator/network/allow-list.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { Host } from './host.js';
import { makePki, type Pki } from './pki.js';
import { TlsPeer } from './tls-peer.js';

/**
 * The SSL service's bytes go over the emulator's Network backend like the plain sockets': the
 * simulated network's latency and outage apply, and `--allow` governs where it may connect.
 */
const T = { timeout: 20_000 };
let pki: Pki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

async function started(host: Host): Promise<void> {
  await host.at('ATE0');
  await host.at('AT+CCHSTART');
  await host.take('+CCHSTART: 0\r\n');
}

test('simulated network: latency delays the handshake (several round trips); network-loss ends the session with +CCH: CCHSTOP', T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  const target = controlledModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  const host = new Host(target.modem);
  try {
    await started(host);
    target.network?.set({ latencyMs: 100 });
    const start = Date.now();
    await host.at(`AT+CCHOPEN=0,"127.0.0.1",${peer.port},2`);
    await host.take('+CCHOPEN: 0,0\r\n');
    // TCP connect (one round trip) and a TLS 1.2 handshake (two): at least 3 × 200 ms.
    assert.ok(Date.now() - start >= 550, `open took ${Date.now() - start} ms`);
    const ssl = statusOf(target)['ssl'] as { service: string; sessions: { session: number; state: string; port: number }[] };
    assert.equal(ssl.service, 'started');
    assert.deepEqual(ssl.sessions.map((s) => [s.session, s.state, s.port]), [[0, 'open', peer.port]]);
    const spec = verbNamed('network-loss');
    await spec.run(target, checkArgs(spec.params, {}));
    await host.take('+CCH: CCHSTOP\r\n');
    assert.match(await host.at('AT+CCHSEND=0,1'), /ERROR/);
    // The outage lasts: a new start cannot bring a PDP context up.
    await host.at('AT+CCHSTART');
    await host.take('+CCHSTART: 17\r\n');
  } finally {
    target.modem.reboot();
    peer.close();
  }
});

test('--allow: a destination off the list fails the open like an unreachable host (+CCHOPEN: 0,9); one on it works', T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  const other = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  const network = new AllowListNetwork(new RealNetwork({ staticOnly: true }), AllowList.from([`127.0.0.1:${peer.port}`]));
  const modem = new EmulatedModem({ config: { bootUrcs: false }, network });
  const host = new Host(modem);
  try {
    await started(host);
    await host.at(`AT+CCHOPEN=0,"127.0.0.1",${other.port},2`);
    await host.take('+CCHOPEN: 0,9\r\n');
    assert.equal(other.connections.length, 0);
    await host.at(`AT+CCHOPEN=0,"127.0.0.1",${peer.port},2`);
    await host.take('+CCHOPEN: 0,0\r\n');
  } finally {
    modem.reboot();
    peer.close();
    other.close();
  }
});

test('leaving service (register none: detach) stops the SSL service too: +CCH: CCHSTOP', T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  const target = controlledModem({ config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
  const host = new Host(target.modem);
  try {
    await started(host);
    await host.at(`AT+CCHOPEN=0,"127.0.0.1",${peer.port},2`);
    await host.take('+CCHOPEN: 0,0\r\n');
    const spec = verbNamed('register');
    await spec.run(target, checkArgs(spec.params, { state: 'none' }));
    await host.take('+CCH: CCHSTOP\r\n');
    await (await peer.connection(0)).waitEnded();
  } finally {
    target.modem.reboot();
    peer.close();
  }
});
