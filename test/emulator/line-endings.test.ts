import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeBytes } from '../../src/at/escape.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { TcpPeer, type PeerConnection } from '../support/peers.js';
import { Wakeup } from '../support/wakeup.js';

/**
 * The terminator's LF before a data phase (spec §1.2; rule in src/emulator/line-editor.ts): a
 * host that ends `AT+CIPSEND=…` with CR LF gets exactly its payload to the peer however the CR,
 * the LF and the payload are chunked, and whether the LF comes before or after the `>`; a host
 * that ends lines with CR alone keeps an LF that starts its payload. Loopback peers only.
 */

const WAIT_MS = 3000;
/** The +++ guard time of these modems (short, far above scheduling noise). */
const GUARD_MS = 100;

/** A host on the modem's AT port: writes, and waits for text in what it received. */
class Host {
  received = '';
  private seen = 0;
  private readonly wakeup = new Wakeup();

  constructor(readonly modem: EmulatedModem) {
    modem.on('output', (bytes) => {
      this.received += bytes.toString('latin1');
      this.wakeup.wake();
    });
  }

  send(text: string): void {
    this.modem.input(Buffer.from(text, 'latin1'));
  }

  /** Wait for `text` after what earlier waits consumed. */
  async until(text: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const at = this.received.indexOf(text, this.seen);
      if (at >= 0) {
        this.seen = at + text.length;
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(escapeBytes(Buffer.from(this.received.slice(this.seen), 'latin1')))}`);
      await this.wakeup.next(left);
    }
  }
}

type Terminator = '\r' | '\r\n';
const TERMINATORS: readonly [string, Terminator][] = [
  ['CR', '\r'],
  ['CR LF', '\r\n'],
];

async function withLink(
  options: { transparent?: boolean; terminator: Terminator },
  body: (host: Host, peer: PeerConnection) => Promise<void>,
): Promise<void> {
  const tcp = await TcpPeer.start();
  const modem = new EmulatedModem({ config: { bootUrcs: false, escapeGuardMs: GUARD_MS }, network: new RealNetwork({ staticOnly: true }) });
  const host = new Host(modem);
  const t = options.terminator;
  try {
    host.send(`ATE0${t}`);
    await host.until('OK\r\n');
    if (options.transparent === true) {
      host.send(`AT+CIPMODE=1${t}`);
      await host.until('OK\r\n');
    }
    host.send(`AT+NETOPEN${t}`);
    await host.until('+NETOPEN: 0\r\n');
    if (options.transparent === true) {
      host.send(`AT+CIPOPEN=0,"TCP","127.0.0.1",${tcp.port}${t}`);
      await host.until('CONNECT 115200\r\n');
    } else {
      host.send(`AT+CIPOPEN=0,"TCP","127.0.0.1",${tcp.port}${t}`);
      await host.until('+CIPOPEN: 0,0\r\n');
    }
    await body(host, await tcp.connection(0));
  } finally {
    modem.reboot();
    tcp.close();
  }
}

/** How the host's bytes are cut: each string is one write; `PROMPT` waits for the `>` first. */
const PROMPT = Symbol('prompt');
type Script = readonly (string | typeof PROMPT)[];

async function play(host: Host, script: Script): Promise<void> {
  for (const part of script) {
    if (part === PROMPT) await host.until('\r\n>');
    else host.send(part);
  }
}

const FIXED_CR_LF: [string, Script][] = [
  ['all in one write', ['AT+CIPSEND=0,5\r\nHELLO']],
  ['CR LF, the payload after the prompt', ['AT+CIPSEND=0,5\r\n', PROMPT, 'HELLO']],
  ['CR, then LF and payload after the prompt', ['AT+CIPSEND=0,5\r', PROMPT, '\nHELLO']],
  ['CR, LF, payload: three writes after the prompt', ['AT+CIPSEND=0,5\r', PROMPT, '\n', 'HELLO']],
  ['CR, LF before the prompt, payload after it', ['AT+CIPSEND=0,5\r', '\n', PROMPT, 'HELLO']],
  ['byte by byte', [...'AT+CIPSEND=0,5\r\nHELLO']],
];

for (const [name, script] of FIXED_CR_LF) {
  test(`CIPSEND=0,5 ended with CR LF (${name}): the peer gets HELLO, the next command answers`, async () => {
    await withLink({ terminator: '\r\n' }, async (host, peer) => {
      await play(host, script);
      await peer.expect(Buffer.from('HELLO'));
      await host.until('OK\r\n');
      host.send('AT\r\n');
      await host.until('OK\r\n');
      assert.equal(peer.unread.length, 0);
    });
  });
}

test('CIPSEND Ctrl-Z form ended with CR LF, LF in its own write after the prompt: the peer gets HELLO', async () => {
  await withLink({ terminator: '\r\n' }, async (host, peer) => {
    await play(host, ['AT+CIPSEND=0\r', PROMPT, '\n', 'HELLO\x1a']);
    await peer.expect(Buffer.from('HELLO'));
    await host.until('OK\r\n');
  });
});

for (const [label, t] of TERMINATORS) {
  test(`a payload that starts with LF reaches the peer whole (${label} host, payload after the prompt)`, async () => {
    await withLink({ terminator: t }, async (host, peer) => {
      // A CR LF host sends its terminator's LF and then the payload's; a CR host only the payload's.
      await play(host, [`AT+CIPSEND=0,5${t}`, PROMPT, '\nABCD']);
      await peer.expect(Buffer.from('\nABCD'));
      await host.until('OK\r\n');
    });
  });
}

for (const [label, t] of TERMINATORS) {
  test(`transparent CIPOPEN and ATO ended with ${label}: the LF is the terminator's, every data byte reaches the peer`, async () => {
    await withLink({ terminator: t, transparent: true }, async (host, peer) => {
      host.send('HELLO');
      await peer.expect(Buffer.from('HELLO'));
      await new Promise((r) => setTimeout(r, GUARD_MS * 2));
      host.send('+++');
      await host.until('OK\r\n');
      await new Promise((r) => setTimeout(r, GUARD_MS * 2));
      // ATO's CR and LF in two writes, the LF after CONNECT went out.
      host.send('ATO\r');
      await host.until('CONNECT 115200\r\n');
      host.send(t === '\r\n' ? '\nWORLD' : 'WORLD');
      await peer.expect(Buffer.from('WORLD'));
      assert.equal(peer.unread.length, 0);
    });
  });
}
