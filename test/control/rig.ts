import { escapeBytes } from '../../src/at/escape.js';
import { ControlClient, ControlClientError } from '../../src/control/client.js';
import { serveControl, type ControlServer } from '../../src/control/http-server.js';
import type { AtLine } from '../../src/control/line.js';
import { ControlError, wordsToArgs, type JsonValue } from '../../src/control/params.js';
import { ControlPlane } from '../../src/control/plane.js';
import { controlledModem, type ControlTarget } from '../../src/control/target.js';
import { generateToken } from '../../src/control/token.js';
import type { ConfigOverrides } from '../../src/emulator/config.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { verbNamed } from '../../src/control/verbs.js';
import { freePort, peerActions, TcpPeer, UdpPeer } from '../support/peers.js';
import type { Action, HostPort } from '../support/transcript-runner.js';

/**
 * A controlled modem on the real network (behind the simulated one), with loopback peers and its
 * control server on 127.0.0.1, and the transcript actions that drive it over HTTP:
 *
 *   ! ctl VERB WORDS…             run a verb through the HTTP API (words as `a76xx ctl` takes them)
 *   ! ctl-fails CODE VERB WORDS…  the verb is refused with error CODE (bad-args, conflict, …)
 *   ! status PATH VALUE           the status field at PATH (dots: `links.0.state`) is VALUE
 *   ! mark                        remember the time
 *   ! elapsed MIN MAX             between MIN and MAX ms passed since the mark (once all expected bytes are in)
 *
 * plus the peer actions of test/support/peers.ts.
 */
export interface Rig {
  readonly target: ControlTarget;
  readonly plane: ControlPlane;
  readonly server: ControlServer;
  readonly client: ControlClient;
  readonly token: string;
  readonly tcp: TcpPeer;
  readonly udp: UdpPeer;
  readonly vars: Record<string, string | number>;
  readonly actions: Record<string, Action>;
  close(): Promise<void>;
}

export async function startRig(config: ConfigOverrides = {}): Promise<Rig> {
  const tcp = await TcpPeer.start();
  const udp = await UdpPeer.start();
  const target = controlledModem({
    config: { bootUrcs: false, ...config },
    network: new RealNetwork({ hosts: new Map([['peer.test', '127.0.0.1']]), staticOnly: true }),
  });
  const plane = new ControlPlane();
  plane.add(target);
  const token = generateToken();
  const server = await serveControl(plane, { host: '127.0.0.1', port: 0, token });
  const client = new ControlClient({ host: '127.0.0.1', port: server.port, token, timeoutMs: 3000 });
  const vars = {
    TCP_PORT: tcp.port,
    UDP_PORT: udp.port,
    LOCAL_UDP_PORT: await freePort('udp'),
    CLOSED_PORT: await freePort('tcp'),
  };
  let mark = Date.now();
  const actions: Record<string, Action> = {
    ...peerActions({ tcp, udp }),
    ctl: async ([verb, ...words]) => {
      await client.invoke(verb as string, argsOf(verb as string, words));
    },
    'ctl-fails': async ([code, verb, ...words]) => {
      try {
        await client.invoke(verb as string, argsOf(verb as string, words));
      } catch (err) {
        const got = err instanceof ControlClientError ? err.serverCode : err instanceof ControlError ? err.code : undefined;
        if (got === code) return;
        throw new Error(`ctl ${verb}: expected error ${code}, got ${String(err)}`);
      }
      throw new Error(`ctl ${verb} ${words.join(' ')}: succeeded, expected error ${code}`);
    },
    status: async ([path, expected]) => {
      const value = fieldAt(await client.status(), path as string);
      const shown = typeof value === 'string' ? value : JSON.stringify(value);
      if (shown !== expected) throw new Error(`status ${path}: expected ${expected}, got ${shown}`);
    },
    mark: () => {
      mark = Date.now();
    },
    elapsed: ([min, max]) => {
      const ms = Date.now() - mark;
      if (ms < Number(min) || ms > Number(max)) throw new Error(`${ms} ms since the mark, expected ${min}-${max}`);
    },
  };
  return {
    target,
    plane,
    server,
    client,
    token,
    tcp,
    udp,
    vars,
    actions,
    async close() {
      target.modem.reboot(); // closes whatever the test left open
      target.line.detach();
      await server.close();
      tcp.close();
      udp.close();
    },
  };
}

/** Words of a transcript action to the JSON arguments of a verb, as `a76xx ctl` converts them. */
function argsOf(verb: string, words: readonly string[]): Record<string, string> {
  try {
    return wordsToArgs(verbNamed(verb).params, words);
  } catch {
    // Let the server judge (and the test see its error code): send the words positionally as-is.
    return Object.fromEntries(words.map((w, i) => [String(i), w]));
  }
}

export function fieldAt(value: JsonValue, path: string): JsonValue {
  let at: JsonValue = value;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object') return null;
    at = Array.isArray(at) ? (at[Number(key)] ?? null) : (at[key] ?? null);
  }
  return at;
}

/** The transcript runner's view of an AtLine. */
export function linePort(line: AtLine): HostPort {
  return {
    write: (bytes) => line.input(bytes),
    onData(listener) {
      line.on('output', listener);
      return () => line.off('output', listener);
    },
  };
}

/** Module output as transcript text, for failure messages. */
export function shown(bytes: Buffer): string {
  return escapeBytes(bytes);
}
