/**
 * What the emulator-side transports share: the module end of an AT port they carry bytes for,
 * and the endpoint they hand back.
 */

/** The module side of an AT port as a transport sees it: bytes in, `output` events out. `Modem` is one. */
export interface ModuleSide {
  input(bytes: Uint8Array): void;
  on(event: 'output', listener: (bytes: Buffer) => void): unknown;
  off(event: 'output', listener: (bytes: Buffer) => void): unknown;
}

/** A transport serving one AT port until closed. */
export interface ServedEndpoint {
  /** How a host reaches it, for humans: `tcp 127.0.0.1:7070`, `pty /dev/pts/5 (link /tmp/a76xx)`, `stdio`. */
  readonly description: string;
  /** Stop serving and release everything (sockets, PTY, symlink). Safe to call twice. */
  close(): Promise<void>;
}
