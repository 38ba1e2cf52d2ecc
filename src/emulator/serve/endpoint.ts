/**
 * What the emulator-side transports share: the module end of an AT port they carry bytes for,
 * and the endpoint they hand back.
 */

/**
 * The module side of an AT port as a transport sees it: bytes in, `output` events out. `Modem` is
 * one, `AtLine` another.
 *
 * Optional flow control: a module side that can ask the host to wait emits `input-hold` (true:
 * stop reading the host; false: read again) and tells the current state in `inputHeld`. The
 * transports follow it with `followInputHold`; a module side without it is simply never held.
 */
export interface ModuleSide {
  input(bytes: Uint8Array): void;
  /**
   * Bytes handed over for good: a stream's chunk, which Node never reuses and the caller never
   * writes to. A module side that would copy `input` (AtLine) keeps these as they are.
   */
  inputOwned?(bytes: Buffer): void;
  on(event: 'output', listener: (bytes: Buffer) => void): unknown;
  off(event: 'output', listener: (bytes: Buffer) => void): unknown;
  /** True while the module asks the host to stop sending (see `input-hold`). */
  readonly inputHeld?: boolean;
  /**
   * The transport tells whether the host takes the output (`full` false) or does not read it
   * (`full` true: a socket's or PTY's queue is over OUTPUT_HIGH_WATER). The module then stops
   * reading its links (`Modem.setOutputPressure`). `source` names the transport.
   */
  setOutputPressure?(source: string, full: boolean): void;
}

/** Output queued in a transport (not taken by the host yet) above which it reports pressure. */
export const OUTPUT_HIGH_WATER = 256 * 1024;
/** Output queued at or below which the pressure ends. */
export const OUTPUT_LOW_WATER = 64 * 1024;

/** The optional `input-hold` event of a ModuleSide. */
export interface InputHoldSource {
  on(event: 'input-hold', listener: (held: boolean) => void): unknown;
  off(event: 'input-hold', listener: (held: boolean) => void): unknown;
}

/**
 * Call `listener` with the module's input hold now (if held) and on every change; returns the
 * unsubscribe. Module sides are event emitters, so one that never emits `input-hold` costs nothing.
 */
export function followInputHold(module: ModuleSide, listener: (held: boolean) => void): () => void {
  const source = module as ModuleSide & InputHoldSource;
  source.on('input-hold', listener);
  if (module.inputHeld === true) listener(true);
  return () => source.off('input-hold', listener);
}

/** A transport serving one AT port until closed. */
export interface ServedEndpoint {
  /** How a host reaches it, for humans: `tcp 127.0.0.1:7070`, `pty /dev/pts/5 (link /tmp/a76xx)`, `stdio`. */
  readonly description: string;
  /** Stop serving and release everything (sockets, PTY, symlink). Safe to call twice. */
  close(): Promise<void>;
}
