import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LINE_TERMINATORS } from '../../src/at/transcript.js';
import { loseNetwork } from '../../src/emulator/links.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { freePort, peerActions, TcpPeer, UdpPeer } from '../support/peers.js';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';

/**
 * Every transcript in test/transcripts/sockets runs against a fresh in-process modem on the real
 * network backend, with a loopback TCP server and UDP peer of its own. Variables:
 *   ${TCP_PORT}        the TCP peer's listening port (127.0.0.1, also `server.test`)
 *   ${UDP_PORT}        the UDP peer's port
 *   ${LOCAL_UDP_PORT}  a free port for the module's UDP links
 *   ${CLOSED_PORT}     a port nobody listens on (connects are refused)
 * Actions: the peer actions of test/support/peers.ts, `lose-network`, `reboot`.
 */
const dir = join(import.meta.dirname, '../transcripts/sockets');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  for (const terminator of LINE_TERMINATORS) test(`sockets transcript ${file} (${terminator})`, async () => {
    const tcp = await TcpPeer.start();
    const udp = await UdpPeer.start();
    const vars = {
      TCP_PORT: tcp.port,
      UDP_PORT: udp.port,
      LOCAL_UDP_PORT: await freePort('udp'),
      CLOSED_PORT: await freePort('tcp'),
    };
    const network = new RealNetwork({ hosts: new Map([['server.test', '127.0.0.1']]), staticOnly: true });
    const modem = new EmulatedModem({ config: { bootUrcs: false }, network });
    try {
      await runTranscript(modemPort(modem), loadTranscript(join(dir, file), vars, { terminator }), {
        actions: {
          ...peerActions({ tcp, udp }),
          'lose-network': () => loseNetwork(modem),
          reboot: () => modem.reboot(),
        },
      });
    } finally {
      modem.reboot(); // closes whatever the transcript left open
      tcp.close();
      udp.close();
    }
  });
}
