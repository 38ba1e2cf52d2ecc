import type { SocketService } from '../links.js';
import type { RadioPort } from '../module-port.js';
import type { RadioTimers } from '../radio/timers.js';
import type { SslService } from '../ssl/service.js';
import type { TransparentMode } from '../transparent.js';

/**
 * What handlers use of each part the module owns: these members and nothing else, so a handler
 * can be read (and run against a stand-in) knowing only them, and a part's other members can
 * change without touching a handler. The compiler keeps the lists honest both ways: a handler
 * using a member not listed does not build.
 */
export type CommandSockets = Pick<
  SocketService,
  | 'links'
  | 'rx'
  | 'servers'
  | 'network'
  | 'openLink'
  | 'openTcp'
  | 'openUdp'
  | 'adopt'
  | 'send'
  | 'read'
  | 'closeByHost'
  | 'withTimeout'
  | 'resolveName'
  | 'startNetOpen'
  | 'finishNetClose'
  | 'setRxMode'
>;
export type CommandSsl = Pick<SslService, 'certs' | 'contexts' | 'service' | 'settings' | 'busy' | 'close' | 'contextOf' | 'describe' | 'open' | 'openSession' | 'released' | 'send' | 'session' | 'start' | 'stop'>;
export type CommandTransparent = Pick<TransparentMode, 'session' | 'begin' | 'accept'>;

/**
 * The module as command handlers see it (`ctx.modem`): its state and settings, its URC sink and
 * clock, and the parts it owns. `EmulatedModem` is one; handlers never import it, so a handler can
 * be run against any object of this shape.
 */
export interface CommandModule extends RadioPort {
  /** The socket service: links, servers, NETOPEN, receive buffers (links.ts). */
  readonly sockets: CommandSockets;
  /** The SSL service: CCH sessions, contexts, certificates (ssl/service.ts). */
  readonly ssl: CommandSsl;
  /** Transparent mode on link 0 (transparent.ts). */
  readonly transparent: CommandTransparent;
  /** Timers of the radio (boot steps, AUTOCSQ, pings, NTP, a scheduled reboot) that die with the life. */
  readonly radioTimers: RadioTimers;
  /** Reboot now (the boot sequence's `scheduleReboot` calls it once the reply is out). */
  reboot(): void;
  /** What the module prints, as it leaves (AT+IPR switches the line once its OK is out). */
  on(event: 'output', listener: (bytes: Buffer) => void): unknown;
  off(event: 'output', listener: (bytes: Buffer) => void): unknown;
  /** AT+CPOF: end this life without a new one; input is lost until the next power-on (`reboot`). */
  powerOff(): void;
}
