import type { EmulatedModem } from '../../src/emulator/modem.js';
import { Wakeup } from '../support/wakeup.js';

/** The host end of an in-process emulated modem for SSL tests: send lines and bytes, wait for output (bounded). */
export class Host {
  output = Buffer.alloc(0);
  private readonly wakeup = new Wakeup();

  constructor(readonly modem: EmulatedModem) {
    modem.on('output', (bytes) => {
      this.output = Buffer.concat([this.output, bytes]);
      this.wakeup.wake();
    });
  }

  send(text: string | Buffer): void {
    this.modem.input(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  /** Wait until the output (from the start) contains `needle`; returns everything up to its end and drops it. */
  async take(needle: string | RegExp, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const text = this.output.toString('latin1');
      const m = typeof needle === 'string' ? (text.includes(needle) ? { index: text.indexOf(needle), length: needle.length } : undefined) : ((r) => (r === null ? undefined : { index: r.index, length: r[0].length }))(needle.exec(text));
      if (m !== undefined) {
        const end = m.index + m.length;
        this.output = this.output.subarray(end);
        return text.slice(0, end);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`host: no ${String(needle)} within ${ms} ms; output so far ${JSON.stringify(text.slice(-300))}`);
      await this.wakeup.next(left);
    }
  }

  /** A command line and its final result (`OK`/`ERROR`); returns the response text. */
  async at(line: string, ms = 5000): Promise<string> {
    this.send(`${line}\r`);
    return this.take(/\r\n(OK|ERROR)\r\n/, ms);
  }
}
