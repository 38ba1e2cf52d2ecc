import { FakeClock } from '../../../src/emulator/clock.js';
import { EmulatedModem } from '../../../src/emulator/modem.js';
import { FuzzNetwork } from './fuzz-network.js';

/**
 * A host for the focused property tests: an EmulatedModem on a FakeClock and a FuzzNetwork, the bytes it
 * printed since the last look, and a way to type a line and take what it answered.
 */
export class TestHost {
  readonly clock = new FakeClock();
  readonly network = new FuzzNetwork(this.clock);
  readonly logged: string[] = [];
  readonly modem: EmulatedModem;
  private printed: Buffer[] = [];

  constructor() {
    this.modem = new EmulatedModem({ config: { bootUrcs: false }, clock: this.clock, network: this.network, log: (m) => this.logged.push(m) });
    this.modem.on('output', (bytes) => this.printed.push(bytes));
  }

  /** Everything printed since the last call. */
  take(): Buffer {
    const all = Buffer.concat(this.printed);
    this.printed = [];
    return all;
  }

  /** Send bytes and let the module work (one event-loop turn). */
  async write(bytes: Buffer | string): Promise<void> {
    this.modem.input(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
    await turn();
  }

  /** Type a line; returns what was printed meanwhile (as latin-1 text). */
  async type(line: string): Promise<string> {
    this.take();
    await this.write(`${line}\r`);
    return this.take().toString('latin1');
  }

  /** Type a line that must be answered exactly `expected`. */
  async expect(line: string, expected: string): Promise<void> {
    const got = await this.type(line);
    if (got !== expected) throw new Error(`${line} answered ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  }

  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await turn();
  }
}

export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
