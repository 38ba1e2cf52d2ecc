/**
 * The host end of one AT connection in the fleet bench, as small as a host can be: it asks one
 * thing at a time and waits for a text to appear in what comes back. Many thousands of these live
 * in one process, so it holds nothing between questions.
 */
export interface ByteEnd {
  write(bytes: Buffer | string): unknown;
  on(event: 'data', listener: (bytes: Buffer) => void): unknown;
}

export class LeanHost {
  private text = '';
  private until: string | undefined;
  private done: ((text: string) => void) | undefined;

  constructor(readonly end: ByteEnd) {
    end.on('data', (bytes) => this.heard(bytes));
  }

  private heard(bytes: Buffer): void {
    if (this.done === undefined) return; // nobody asked: output is dropped (no +IPD comes)
    this.text += bytes.toString('latin1');
    const until = this.until as string;
    const at = this.text.indexOf(until);
    if (at < 0 && !this.text.includes('ERROR')) return;
    const done = this.done;
    const text = this.text;
    this.text = '';
    this.done = undefined;
    this.until = undefined;
    done(text);
  }

  /** Write `bytes` and resolve with what came back once it contains `until` (or ERROR). */
  ask(bytes: Buffer | string, until: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.done = undefined;
        this.text = '';
        reject(new Error(`no ${JSON.stringify(until)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.until = until;
      this.done = (text) => {
        clearTimeout(timer);
        if (!text.includes(until)) reject(new Error(`asked for ${JSON.stringify(until)}, got ${JSON.stringify(text)}`));
        else resolve(text);
      };
      this.end.write(bytes);
    });
  }

  /** `ATE0`, `AT+NETOPEN`, and a TCP link 0 to 127.0.0.1:`port`. */
  async openLink(port: number, timeoutMs = 20_000): Promise<void> {
    await this.ask('ATE0\r', 'OK\r\n', timeoutMs);
    await this.ask('AT+NETOPEN\r', '+NETOPEN: 0', timeoutMs);
    await this.ask(`AT+CIPOPEN=0,"TCP","127.0.0.1",${port}\r`, '+CIPOPEN: 0,0', timeoutMs);
  }

  /** One AT round trip in ms. */
  async roundTrip(timeoutMs = 5000): Promise<number> {
    const t0 = performance.now();
    await this.ask('AT\r', 'OK\r\n', timeoutMs);
    return performance.now() - t0;
  }

  /** One `AT+CIPSEND=0,<n>`: the prompt, the data, the report. */
  async send(data: Buffer, timeoutMs = 5000): Promise<void> {
    await this.ask(`AT+CIPSEND=0,${data.length}\r`, '>', timeoutMs);
    await this.ask(data, `+CIPSEND: 0,${data.length},`, timeoutMs);
  }
}

/** Run `task` over `items`, at most `width` at a time. */
export async function inBatches<T>(items: readonly T[], width: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await task(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export interface Latencies {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly samples: number;
}

export function latencies(samples: readonly number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, samples: sorted.length };
}

/**
 * Probe round trips: `samples` times, one at a time, alternate a random modem host and the
 * baseline responder (so a busy moment hits both alike). A timer turn separates two probes: the
 * event loop goes round (timers, I/O) as it would between requests arriving from outside, which
 * an in-memory transport (nextTick delivery) would otherwise never let happen.
 */
export async function probe(
  hosts: readonly LeanHost[],
  baseline: LeanHost,
  samples: number,
  skip: (index: number) => boolean = () => false,
): Promise<{ modem: Latencies; baseline: Latencies }> {
  const modem: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < samples; i++) {
    let k = Math.floor(Math.random() * hosts.length);
    while (skip(k)) k = (k + 1) % hosts.length;
    modem.push(await (hosts[k] as LeanHost).roundTrip());
    bare.push(await baseline.roundTrip());
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return { modem: latencies(modem), baseline: latencies(bare) };
}

/**
 * Every `fraction`-th host sends `size` bytes every `intervalMs` (CIPSEND), staggered, until
 * `stop()`. Returns the indexes of the senders and a counter.
 */
export function startSenders(hosts: readonly LeanHost[], fraction: number, size: number, intervalMs: number): {
  readonly senders: ReadonlySet<number>;
  readonly sent: () => number;
  readonly failures: () => number;
  stop(): Promise<void>;
} {
  const step = Math.round(1 / fraction);
  const senders = new Set<number>();
  for (let i = 0; i < hosts.length; i += step) senders.add(i);
  const data = Buffer.alloc(size, 0x61);
  let stopped = false;
  let sent = 0;
  let failures = 0;
  const loops = [...senders].map(async (index) => {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * intervalMs));
    while (!stopped) {
      const t0 = performance.now();
      try {
        await (hosts[index] as LeanHost).send(data);
        sent++;
      } catch {
        failures++;
      }
      const left = intervalMs - (performance.now() - t0);
      if (left > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, left));
    }
  });
  return {
    senders,
    sent: () => sent,
    failures: () => failures,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
