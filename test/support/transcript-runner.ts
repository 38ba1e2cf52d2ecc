import { readFileSync } from 'node:fs';
import { escapeBytes } from '../../src/at/escape.js';
import { parseTranscript, type TranscriptOptions, type TranscriptStep } from '../../src/at/transcript.js';
import type { EmulatedModem } from '../../src/emulator/modem.js';
import { Wakeup } from './wakeup.js';

/** The host end of an AT port, as the runner sees it. */
export interface HostPort {
  write(bytes: Buffer): void;
  /** Subscribe to module bytes; returns the unsubscribe function. */
  onData(listener: (bytes: Buffer) => void): () => void;
}

export type Action = (args: readonly string[]) => void | Promise<void>;

export interface RunOptions {
  /** Test-specific `!` verbs; `wait MS` is built in. */
  actions?: Readonly<Record<string, Action>>;
  /** Longest wait for the expected bytes at a checkpoint. */
  timeoutMs?: number;
  /** Quiet time at the end during which no further output may arrive. */
  settleMs?: number;
  vars?: Readonly<Record<string, string | number>>;
}

/** A port onto an in-process modem. */
export function modemPort(modem: EmulatedModem): HostPort {
  return {
    write: (bytes) => modem.input(bytes),
    onData(listener) {
      modem.on('output', listener);
      return () => modem.off('output', listener);
    },
  };
}

export function loadTranscript(
  path: string,
  vars?: Readonly<Record<string, string | number>>,
  options?: TranscriptOptions,
): TranscriptStep[] {
  return parseTranscript(readFileSync(path, 'utf8'), vars, options);
}

/**
 * Play a transcript against a port: before each host send or action, everything the transcript
 * expected so far must have arrived, byte for byte; at the end nothing more may arrive.
 */
export async function runTranscript(port: HostPort, steps: readonly TranscriptStep[], options: RunOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const settleMs = options.settleMs ?? 30;
  let received = Buffer.alloc(0);
  const wakeup = new Wakeup();
  const stop = port.onData((bytes) => {
    received = Buffer.concat([received, bytes]);
    wakeup.wake();
  });
  const expected: { bytes: Buffer; line: number }[] = [];
  let expectedLength = 0;

  const waitFor = async (length: number, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (received.length < length && Date.now() < deadline) {
      await wakeup.next(Math.max(1, deadline - Date.now()));
    }
  };

  const checkpoint = async (): Promise<void> => {
    await waitFor(expectedLength, timeoutMs);
    compare(received, expected, expectedLength);
  };

  try {
    for (const step of steps) {
      if (step.kind === 'expect') {
        expected.push({ bytes: step.bytes, line: step.line });
        expectedLength += step.bytes.length;
        continue;
      }
      await checkpoint();
      if (step.kind === 'send') {
        port.write(step.bytes);
      } else if (step.verb === 'wait') {
        await new Promise((r) => setTimeout(r, Math.min(Number(step.args[0] ?? 0), 10_000)));
      } else {
        const action = options.actions?.[step.verb];
        if (action === undefined) throw new Error(`transcript line ${step.line}: no action ${step.verb}`);
        await action(step.args);
      }
    }
    await checkpoint();
    await new Promise((r) => setTimeout(r, settleMs));
    if (received.length > expectedLength) {
      throw new Error(`unexpected output after the transcript: ${JSON.stringify(escapeBytes(received.subarray(expectedLength)))}`);
    }
  } finally {
    stop();
  }
}

function compare(received: Buffer, expected: readonly { bytes: Buffer; line: number }[], length: number): void {
  const want = Buffer.concat(expected.map((e) => e.bytes));
  const got = received.subarray(0, length);
  if (got.equals(want)) return;
  let at = 0;
  while (at < got.length && got[at] === want[at]) at++;
  let offset = 0;
  let line = 0;
  for (const e of expected) {
    if (at < offset + e.bytes.length) {
      line = e.line;
      break;
    }
    offset += e.bytes.length;
  }
  const context = (b: Buffer) => JSON.stringify(escapeBytes(b.subarray(Math.max(0, at - 40), at + 60)));
  throw new Error(
    `transcript line ${line}: output differs at byte ${at}` +
      (got.length < want.length ? ` (received ${got.length} of ${want.length} expected bytes)` : '') +
      `\n  expected …${context(want)}\n  received …${context(received)}`,
  );
}
