import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { serveTcp, type TcpEndpoint } from '../../src/emulator/serve/tcp.js';
import { loadTranscript, runTranscript, type Action, type HostPort } from '../support/transcript-runner.js';
import { scriptedFaultRig } from './rig.js';

/**
 * The host goes away from the AT port (serveTcp) and another comes: like a UART cable pulled and
 * plugged back, the module notices nothing. Its links, buffers, settings, a half-typed command
 * line, a running command, a data phase and data mode all carry on; what it prints while no host
 * is attached is lost. Transcripts in transcripts/host/*.txt, on the scripted fault rig
 * (test/faults/rig.ts), with two more actions:
 *   ! host-drop     the host's connection goes (reset), once the module has every byte it sent
 *   ! host-attach   a new host connects
 * Every other action waits until the module has every byte sent before it.
 */
const TIMEOUT_MS = 20_000;
const WAIT_MS = 3000;

/** A HostPort whose connection can be dropped and replaced; one stream of bytes across them. */
class Hosts implements HostPort {
  private socket: Socket | undefined;
  private sent = 0;
  private readonly listeners = new Set<(bytes: Buffer) => void>();
  private waiters: (() => void)[] = [];
  attached = false;

  constructor(
    private readonly endpoint: () => TcpEndpoint,
    private readonly moduleReceived: () => number,
  ) {}

  /** serveTcp's attach/detach callbacks. */
  readonly changed = (attached: boolean): void => {
    this.attached = attached;
    for (const wake of this.waiters.splice(0)) wake();
  };

  write(bytes: Buffer): void {
    if (this.socket === undefined) throw new Error('no host attached');
    this.sent += bytes.length;
    this.socket.write(bytes);
  }

  onData(listener: (bytes: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async attach(): Promise<void> {
    const socket = connect({ host: '127.0.0.1', port: this.endpoint().port });
    socket.on('data', (bytes: Buffer) => {
      for (const listener of this.listeners) listener(bytes);
    });
    socket.on('error', () => {});
    this.socket = socket;
    await this.until(() => this.attached, 'the emulator to attach the host');
  }

  /** Wait until the module has every byte the hosts sent (they travel through a socket). */
  synced(): Promise<void> {
    return this.until(() => this.moduleReceived() >= this.sent, 'the module to receive what the host sent');
  }

  async drop(): Promise<void> {
    await this.synced();
    this.socket?.resetAndDestroy();
    this.socket = undefined;
    await this.until(() => !this.attached, 'the emulator to notice the host is gone');
  }

  close(): void {
    this.socket?.destroy();
  }

  private async until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

const dir = join(import.meta.dirname, 'transcripts/host');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`host disconnect transcript ${file}`, { timeout: TIMEOUT_MS }, async () => {
    const rig = scriptedFaultRig({ config: { escapeGuardMs: 1000 } });
    let endpoint: TcpEndpoint | undefined;
    const hosts = new Hosts(
      () => endpoint as TcpEndpoint,
      () => rig.target.line.counters.hostBytes,
    );
    endpoint = await serveTcp(rig.target.line, {
      port: 0,
      onHostAttach: () => hosts.changed(true),
      onHostDetach: () => hosts.changed(false),
    });
    // Every action acts after the module has what the host sent before it, as in process.
    const synced = Object.fromEntries(
      Object.entries(rig.actions).map(([verb, action]): [string, Action] => [
        verb,
        async (args) => {
          await hosts.synced();
          await action(args);
        },
      ]),
    );
    const actions: Record<string, Action> = {
      ...synced,
      'host-drop': () => hosts.drop(),
      'host-attach': () => hosts.attach(),
    };
    try {
      await hosts.attach();
      await runTranscript(hosts, loadTranscript(join(dir, file)), { actions });
    } finally {
      hosts.close();
      await endpoint.close();
      await rig.close();
    }
  });
}
