/**
 * The steps of bringing a module up (spec §10, AN§1.4), apart from the Modem that runs them: sync
 * (with the escape of a module stuck in data mode), SIM, signal, registration, CIPMODE, the
 * socket configuration and the receive mode. Every wait is on the channel's injected clock.
 */
import type { AtChannel } from './at-channel.js';
import type { AtResponse, CommandOptions } from './at-types.js';
import { responseValue } from './at-types.js';
import { AtCommandError, AtTimeoutError, DriverStateError, ModuleResetError } from './errors.js';
import type { ModemOptions, ReceiveMode } from './modem-types.js';

/** What the steps need from the Modem. */
export interface BringUpHost {
  readonly channel: AtChannel;
  readonly options: ModemOptions;
  readonly receiveMode: ReceiveMode;
  netClose(): Promise<void>;
}

const REGISTERED = new Set([1, 5]);

export class BringUpSteps {
  private readonly host: BringUpHost;

  constructor(host: BringUpHost) {
    this.host = host;
  }

  private get options(): ModemOptions {
    return this.host.options;
  }

  private get channel(): AtChannel {
    return this.host.channel;
  }

  private get receiveMode(): ReceiveMode {
    return this.host.receiveMode;
  }

  private get clock() {
    return this.host.channel.clock;
  }

  private command(text: string, options?: CommandOptions): Promise<AtResponse> {
    return this.host.channel.command(text, options);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  /** Push framing and CIPCCFG, before NETOPEN (udpRecvmode must precede it). */
  async configureSockets(): Promise<'ipd' | 'receive'> {
    const o = this.options;
    const push = this.receiveMode === 'push';
    if (push) {
      // Defaults, but a previous host may have changed them (NO_SAVE). Refusals are not fatal: the
      // parser frames every header variant, these only make the link number or source visible.
      await this.optional('AT+CIPHEAD=1');
      await this.optional('AT+CIPSRIP=1');
    }
    const header = push && o.pushHeader === 'receive' ? 1 : 0;
    // NmRetry 10, DelayTm 0, Ack 0, errMode 1 (text), HeaderType, AsyncMode 0, TimeoutVal 500
    // (RT-Thread's values, spec §2.2.13); the 8th value exists on A76XX only.
    const seven = `AT+CIPCCFG=10,0,0,1,${header},0,500`;
    let accepted = false;
    if (o.udpByPacket === true) accepted = await this.optional(`${seven},1`);
    if (!accepted && header === 1) accepted = await this.optional(seven);
    return accepted && header === 1 ? 'receive' : 'ipd';
  }

  /** AT+CIPRXGET=0 (push) or 1 (buffer; 5 = 1 with source addresses, when asked and accepted). */
  async setReceiveMode(): Promise<boolean> {
    if (this.receiveMode === 'buffer' && this.options.rxSourceAddress === true && (await this.optional('AT+CIPRXGET=5'))) return true;
    await this.command(`AT+CIPRXGET=${this.receiveMode === 'buffer' ? 1 : 0}`);
    return false;
  }

  /** A command whose refusal (ERROR) is acceptable; timeouts and a closed channel still throw. */
  private async optional(text: string): Promise<boolean> {
    try {
      await this.command(text);
      return true;
    } catch (error) {
      if (error instanceof AtCommandError) return false;
      throw error;
    }
  }

  /**
   * `AT` until answered; after half the attempts, try `+++` in case the module is in data mode.
   * From the second attempt on the line is `ATQ0V1`: a module a previous host left with result
   * codes off (ATQ1) or numeric (ATV0) answers nothing this channel can read, and this turns
   * verbose result codes back on (their defaults, spec §2.1.3) with its own `OK`.
   */
  async sync(): Promise<void> {
    const attempts = this.options.syncAttempts ?? 5;
    const timeoutMs = this.options.syncTimeoutMs ?? 1_000;
    const guardMs = this.options.escapeGuardMs ?? this.options.guardMs ?? 1_000;
    let last: Error | undefined;
    let boots = 0;
    if (this.options.escapeFirst === true && guardMs > 0) await this.escapeAttempt(guardMs);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (guardMs > 0 && attempt === Math.floor(attempts / 2) + 1 && attempt > 1) await this.escapeAttempt(guardMs);
      try {
        await this.channel.command(attempt === 1 ? 'AT' : 'ATQ0V1', { timeoutMs });
        return;
      } catch (error) {
        if (error instanceof AtCommandError) return; // it answered: alive
        if (error instanceof ModuleResetError) {
          // It just booted: this attempt was lost in the restart, the next `AT` meets a ready module.
          attempt--;
          if (++boots > 3) throw error;
          continue;
        }
        if (!(error instanceof AtTimeoutError)) throw error;
        last = error;
      }
    }
    throw new DriverStateError(`no answer to AT after ${attempts} attempts (${last?.message ?? ''})`, { cause: last });
  }

  /**
   * Silence, `+++`, then its `OK` (a module in data mode answers once its trailing guard passed) or,
   * from a module in command mode, nothing within the guard and answer time. Nothing is written
   * meanwhile: a byte inside the trailing guard would make the `+++` data.
   */
  private async escapeAttempt(guardMs: number): Promise<void> {
    await this.sleep(guardMs);
    const answered = this.channel.waitFor((line) => line === 'OK', {
      timeoutMs: guardMs + (this.options.escapeAnswerMs ?? 1_000),
      what: 'OK after +++',
      command: '+++',
    });
    this.channel.writeRaw(Buffer.from('+++', 'latin1'));
    try {
      await answered;
    } catch (error) {
      if (!(error instanceof AtTimeoutError)) throw error;
    }
  }

  async waitSimReady(): Promise<void> {
    const deadline = this.clock.now() + (this.options.simReadyTimeoutMs ?? 20_000);
    let pinEntered = false;
    for (;;) {
      let last: Error;
      try {
        const code = responseValue(await this.command('AT+CPIN?'), '+CPIN:');
        if (code === 'READY') return;
        if (code === 'SIM PIN' && this.options.pin !== undefined && !pinEntered) {
          // Entered once only: retrying a wrong PIN would block the SIM.
          pinEntered = true;
          await this.command(`AT+CPIN=${quote(this.options.pin)}`).catch((error: unknown) => {
            throw error instanceof AtCommandError ? new DriverStateError(`SIM PIN refused (${error.message})`, { cause: error }) : error;
          });
          continue;
        }
        if (code === undefined || /PIN|PUK/.test(code)) {
          throw new DriverStateError(`SIM needs ${code ?? 'an unknown code'}${code === 'SIM PIN' && !pinEntered ? ' (pass options.pin)' : ''}`);
        }
        last = new DriverStateError(`SIM not ready: +CPIN: ${code}`);
      } catch (error) {
        // SIM busy / SIM failure right after boot turn into READY a moment later (spec §2.1.6).
        if (!(error instanceof AtCommandError)) throw error;
        last = error;
      }
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) throw last;
      await this.pause(Math.min(this.pollMs, remaining), (line) => line === '+CPIN: READY');
    }
  }

  async signalQuality(): Promise<number | undefined> {
    const value = responseValue(await this.command('AT+CSQ'), '+CSQ:');
    const rssi = value === undefined ? NaN : Number(value.split(',')[0]);
    return Number.isFinite(rssi) ? rssi : undefined;
  }

  /** CGREG or CEREG must say 1 (home) or 5 (roaming) (spec §6 #22); either may be unsupported. */
  async waitRegistered(): Promise<{ cgreg: number | undefined; cereg: number | undefined }> {
    const deadline = this.clock.now() + (this.options.registrationTimeoutMs ?? 60_000);
    for (;;) {
      const cgreg = await this.registrationStat('+CGREG');
      const cereg = cgreg !== undefined && REGISTERED.has(cgreg) ? undefined : await this.registrationStat('+CEREG');
      if ((cgreg !== undefined && REGISTERED.has(cgreg)) || (cereg !== undefined && REGISTERED.has(cereg))) return { cgreg, cereg };
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) {
        throw new DriverStateError(`not registered to a packet network (CGREG stat ${cgreg ?? '?'}, CEREG stat ${cereg ?? '?'})`);
      }
      await this.pause(Math.min(this.pollMs, remaining), (line) => /^\+C(G|E)REG: ?[15]$/.test(line));
    }
  }

  private async registrationStat(name: '+CGREG' | '+CEREG'): Promise<number | undefined> {
    try {
      const value = responseValue(await this.command(`AT${name}?`), `${name}:`);
      const stat = value === undefined ? NaN : Number(value.split(',')[1]);
      return Number.isInteger(stat) ? stat : undefined;
    } catch (error) {
      if (error instanceof AtCommandError) return undefined;
      throw error;
    }
  }

  async setCipMode(mode: 0 | 1): Promise<void> {
    try {
      await this.command(`AT+CIPMODE=${mode}`);
      return;
    } catch (error) {
      if (!(error instanceof AtCommandError)) throw error;
    }
    // Refused: the network is probably open already (CIPMODE must precede NETOPEN).
    const current = responseValue(await this.command('AT+CIPMODE?'), '+CIPMODE:');
    if (current !== undefined && Number(current) === mode) return;
    await this.host.netClose();
    await this.command(`AT+CIPMODE=${mode}`);
  }

  private get pollMs(): number {
    return this.options.pollIntervalMs ?? 1_000;
  }

  /** Wait up to `ms` for a URC that makes polling again worthwhile; a timeout is the normal case. */
  private async pause(ms: number, match: (line: string) => boolean): Promise<void> {
    try {
      await this.channel.waitFor(match, { timeoutMs: ms, what: 'status change' });
    } catch (error) {
      if (!(error instanceof AtTimeoutError)) throw error;
    }
  }
}

/** A quoted AT string parameter; the module has no escape for `"`, so it cannot be sent. */
export function quote(value: string): string {
  if (value.includes('"') || /[\r\n]/.test(value)) throw new RangeError(`cannot send ${JSON.stringify(value)} as an AT string`);
  return `"${value}"`;
}
