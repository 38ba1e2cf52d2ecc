import type { Readable, Writable } from 'node:stream';
import { followInputHold, OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER, type ModuleSide, type ServedEndpoint } from './endpoint.js';

export interface StdioServeOptions {
  /** Host → module bytes; `process.stdin` by default. */
  readonly input?: Readable;
  /** Module → host bytes; `process.stdout` by default. */
  readonly output?: Writable;
}

export interface StdioEndpoint extends ServedEndpoint {
  /** Settles when the host side is gone: input ended, or output can no longer be written. */
  readonly ended: Promise<void>;
}

/**
 * Serve the AT port on a pair of streams (stdin/stdout by default): for `socat`, an `EXEC:` of
 * another tool, or a test's child process. Bytes pass untouched both ways. While the module holds
 * its input (`input-hold`) the input stream is paused, so a pipe's writer is held back.
 */
export function serveStdio(module: ModuleSide, options: StdioServeOptions = {}): StdioEndpoint {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  let open = true;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    markEnded = resolve;
  });

  // A reader that does not keep up: the module stops reading its links (setOutputPressure).
  let pressured = false;
  const checkPressure = (): void => {
    const waiting = open ? output.writableLength : 0;
    const full = pressured ? waiting > OUTPUT_LOW_WATER : waiting > OUTPUT_HIGH_WATER;
    if (full === pressured) return;
    pressured = full;
    module.setOutputPressure?.('stdio', full);
  };
  const forward = (bytes: Buffer): void => {
    if (!open) return;
    if (!output.write(bytes) || pressured) checkPressure();
  };
  output.on('drain', checkPressure);
  const receive = (bytes: Buffer | string): void => {
    if (open) module.input(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  };
  const onInputHold = (held: boolean): void => {
    if (!open) return;
    if (held) input.pause();
    else input.resume();
  };
  let unfollow = (): void => {};
  const stop = (): void => {
    if (!open) return;
    open = false;
    unfollow();
    module.off('output', forward);
    output.off('drain', checkPressure);
    input.off('data', receive);
    checkPressure();
    markEnded();
  };

  module.on('output', forward);
  input.on('data', receive);
  unfollow = followInputHold(module, onInputHold);
  // End of input ends the session, but what the module still prints (answers, async URCs) goes out
  // until close().
  input.once('end', markEnded);
  input.once('close', markEnded);
  input.on('error', markEnded);
  // EPIPE and the like: nobody reads any more.
  output.on('error', stop);

  return {
    description: 'stdio',
    ended,
    close() {
      stop();
      input.pause();
      return Promise.resolve();
    },
  };
}
