/**
 * A lean AT host for the bench: writes command lines on a byte stream and waits for what the
 * module prints, framed by the driver's own parser (lines, the `>` prompt, `+IPD` blocks). It
 * measures the emulator, so it does as little as a host can: no queue, no retries.
 */
import { connect, type Socket } from 'node:net';
import { ModuleOutputParser, type ModuleEvent } from '../../src/at/module-output-framer.js';

export interface ByteLink {
  write(bytes: Buffer | string): unknown;
  on(event: 'data', listener: (bytes: Buffer) => void): unknown;
}

type Waiter = { readonly match: (event: ModuleEvent) => boolean; readonly resolve: (event: ModuleEvent) => void };

export class AtClient {
  /** Payload bytes of `+IPD` pushes received. */
  pushedBytes = 0;
  /** Called for every pushed block (after counting). */
  onPush: ((bytes: Buffer) => void) | undefined;
  private readonly parser: ModuleOutputParser;
  private waiter: Waiter | undefined;

  constructor(readonly link: ByteLink) {
    this.parser = new ModuleOutputParser((event) => this.event(event));
    link.on('data', (bytes) => this.parser.feed(bytes));
  }

  private event(event: ModuleEvent): void {
    if (event.kind === 'push') {
      this.pushedBytes += event.bytes.length;
      this.onPush?.(event.bytes);
      return;
    }
    const waiter = this.waiter;
    if (waiter !== undefined && waiter.match(event)) {
      this.waiter = undefined;
      waiter.resolve(event);
    }
  }

  /** Resolves with the first event that matches (one waiter at a time), or rejects after `timeoutMs`. */
  next(match: (event: ModuleEvent) => boolean, timeoutMs: number, what: string): Promise<ModuleEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`AT client: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        match,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
    });
  }

  /** Send a command line and wait for a line matching `until` (default: a final result). */
  async command(text: string, until: RegExp = /^(OK|ERROR|\+CME ERROR.*)$/, timeoutMs = 5000): Promise<string> {
    const answer = this.next((e) => e.kind === 'line' && until.test(e.text), timeoutMs, `${until} after ${text}`);
    this.link.write(`${text}\r`);
    const event = await answer;
    return event.kind === 'line' ? event.text : '';
  }

  /** `AT+CIPSEND=<link>,<n>`, the prompt, the data, then `+CIPSEND: <link>,<n>,<cnf>`; returns cnf. */
  async send(link: number, data: Buffer, timeoutMs = 5000): Promise<number> {
    this.parser.expectPrompt();
    const prompt = this.next((e) => e.kind === 'prompt', timeoutMs, 'CIPSEND prompt');
    this.link.write(`AT+CIPSEND=${link},${data.length}\r`);
    await prompt;
    const prefix = `+CIPSEND: ${link},${data.length},`;
    const report = this.next((e) => e.kind === 'line' && e.text.startsWith(prefix), timeoutMs, 'the +CIPSEND report');
    this.link.write(data);
    const event = await report;
    return event.kind === 'line' ? Number(event.text.slice(prefix.length)) : -1;
  }

  /** From now on every byte is data (transparent mode after CONNECT). */
  passthrough(): void {
    this.parser.enterPassthrough();
  }
}

/** A TCP connection to `port` on loopback, Nagle off. */
export function connectLoopback(port: number, timeoutMs = 5000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect 127.0.0.1:${port}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}
