import type { Clock } from './clock.js';
import type { EmulatorConfig } from './config.js';
import type { Dialect } from './dialect.js';
import type { Network } from './network/types.js';
import type { ModemState } from './state.js';

/**
 * What the module's parts (socket service, transparent session, radio, SSL service) need from the
 * module, as interfaces: the parts depend on these, never on the `EmulatedModem` class, and the
 * module hands itself to them. A leaf: it imports no implementation.
 */

export interface EmulatedModemEvents {
  /** Bytes for the host, in order. */
  output: [Buffer];
  /** The module was reset (reboot, CFUN=1,1, CPOF): its parts already dropped their sockets. */
  reset: [];
  /** DTR changed (true = asserted). */
  dtr: [boolean];
  /**
   * Input hold changed: true while the module wants the host to stop sending (RTS/CTS as the
   * transports can give it), false once it may send again. See `holdInput`.
   */
  'input-hold': [boolean];
  /**
   * Output pressure changed: true while what the module has for the host cannot leave (the host
   * stopped reading, or too much is held behind a prompt); the socket service then stops reading
   * its links (see `setOutputPressure`, `outputPressure`).
   */
  'output-pressure': [boolean];
}

/** Receives every byte the host sends while the port is in data (transparent) mode. */
export interface DataModeHandler {
  input(bytes: Buffer): void;
}

/** What every part reads and prints through. */
export interface ModuleCore {
  readonly state: ModemState;
  readonly config: EmulatorConfig;
  readonly dialect: Dialect;
  readonly clock: Clock;
  readonly network: Network | undefined;
  /** The signal of the current life: aborted when the module reboots or powers off (life.ts). */
  readonly life: AbortSignal;
  /** Diagnostics that are not on the wire. */
  log(message: string): void;
  /** An unsolicited line, framed; held while a response, data phase or data mode is in progress. */
  urc(line: string): void;
  /** An unsolicited block already framed. */
  urcRaw(bytes: Buffer): void;
}

/** The socket service's view: it also follows the host's reading (output pressure). */
export interface SocketPort extends ModuleCore {
  readonly outputPressure: boolean;
}

/** The radio's view (registration, attach): a detach drops the PDP context's sockets. */
export interface RadioPort extends ModuleCore {
  /** Drop the PDP context as the network would: sockets and SSL sessions die (links.ts). */
  loseNetwork(): void;
}

/** The transparent session's view: the port's data mode, its result lines and input flow control. */
export interface DataModePort extends ModuleCore {
  enterDataMode(handler: DataModeHandler, afterCommandLine?: boolean): void;
  leaveDataMode(): void;
  /** Raw bytes to the host in data mode. */
  writeData(bytes: Uint8Array): void;
  /** A result code outside any command (`CONNECT 115200`, `OK` after +++). */
  resultLine(text: string, numeric?: number): void;
  connectText(): string;
  holdInput(reason: string, on: boolean): void;
  on(event: 'output', listener: (bytes: Buffer) => void): unknown;
  off(event: 'output', listener: (bytes: Buffer) => void): unknown;
  on(event: 'dtr', listener: (asserted: boolean) => void): unknown;
  off(event: 'dtr', listener: (asserted: boolean) => void): unknown;
}
