import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { AtChannel, responseValue, type AtResponse } from '../driver/at-channel.js';
import { AtCommandError, AtTimeoutError, ModuleResetError } from '../driver/errors.js';
import { openTransport } from '../driver/transports/open.js';
import { addDeviceOptions, complain, positiveInt, type DeviceOptions } from './nc.js';

/**
 * `a76xx doctor`: the application note's network check (AN§1.4, spec §10) step by step, with a
 * readable verdict per step: AT, SIM (CPIN, waiting for READY as the AN allows), signal (CSQ),
 * radio (CFUN), circuit and packet registration (CREG, CGREG/CEREG), serving cell (CPSI), the
 * socket service (NETOPEN) and the local IP (IPADDR). It opens the socket service if it was closed
 * and closes it again afterwards unless --keep-open.
 *
 * Exit code: 0 every step ok (warnings allowed), 1 some step failed, 2 the module does not answer.
 */

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

export interface Step {
  readonly name: string;
  readonly verdict: Verdict;
  /** What the module said, made readable. */
  readonly detail: string;
}

export interface DoctorOptions {
  /** SIM PIN, entered once if the SIM asks for it. */
  readonly pin?: string;
  /** How long the SIM may take to report READY (AN§1.4: 20 s). */
  readonly simWaitMs?: number;
  /** Leave the socket service open if the doctor opened it. */
  readonly keepOpen?: boolean;
  /** Longest wait for NETOPEN's completion. */
  readonly netopenTimeoutMs?: number;
  /** Each step as it is decided. */
  readonly onStep?: (step: Step) => void;
}

const REG_TEXT: Readonly<Record<number, string>> = {
  0: 'not registered, not searching',
  1: 'registered, home network',
  2: 'searching',
  3: 'registration denied',
  4: 'unknown',
  5: 'registered, roaming',
  6: 'registered for SMS only, home',
  7: 'registered for SMS only, roaming',
  11: 'emergency services only',
};
const CFUN_TEXT: Readonly<Record<number, string>> = { 0: 'minimum', 1: 'full functionality', 4: 'flight mode (RF off)', 5: 'factory test', 6: 'reset', 7: 'offline', 8: 'SIM off' };
const REGISTERED = new Set([1, 5]);
/** SIM answers that turn into READY by themselves shortly after boot (spec §2.1.6). */
const SIM_SETTLING = /SIM busy|SIM failure|not ready/i;

export function command(): Command {
  const doctor = new Command('doctor')
    .summary("check the module step by step (SIM, signal, radio, registration, cell, NETOPEN, IP)")
    .description(
      "Run the application note's network check against the module and print a verdict per step. " +
        'Exit 0 when every step is ok (warnings allowed), 1 when a step failed, 2 when the module does not answer.',
    )
    .addOption(new Option('--sim-wait <MS>', 'how long the SIM may take to become READY (AN: 20 s)').argParser(positiveInt).default(20_000))
    .addOption(new Option('--keep-open', 'leave the socket service open if the doctor opened it'))
    .addHelpText('after', ['', 'Example:', '  a76xx doctor --device /dev/ttyUSB2 --pin 1234'].join('\n'));
  return addDeviceOptions(doctor).action(async (options: DeviceOptions & { simWait: number; keepOpen?: boolean }) => {
    process.exitCode = await runDoctorCli(options, { stdout: process.stdout, stderr: process.stderr });
  });
}

/** The CLI around `runDoctor`: open the device, print the steps and the verdict; resolves with the exit code. */
export async function runDoctorCli(options: DeviceOptions & { simWait?: number; keepOpen?: boolean }, io: { stdout: Writable; stderr: Writable }): Promise<number> {
  let channel: AtChannel;
  try {
    const transport = await openTransport(options.device, { ...(options.baud !== undefined ? { baudRate: options.baud } : {}), connectTimeoutMs: Math.min(options.timeout, 10_000) });
    channel = new AtChannel(transport, { name: options.device, recoveryMs: 300 });
  } catch (error) {
    complain(io.stderr, 'doctor', error);
    return 2;
  }
  io.stdout.write(`a76xx doctor: ${options.device}\n`);
  try {
    const steps = await runDoctor(channel, {
      ...(options.pin !== undefined ? { pin: options.pin } : {}),
      simWaitMs: options.simWait ?? 20_000,
      keepOpen: options.keepOpen === true,
      netopenTimeoutMs: options.timeout,
      onStep: (step) => io.stdout.write(`  ${step.verdict.padEnd(5)} ${step.name.padEnd(9)} ${step.detail}\n`),
    });
    const count = (v: Verdict): number => steps.filter((s) => s.verdict === v).length;
    const failed = count('fail');
    const summary = `${count('ok')} ok, ${count('warn')} warnings, ${failed} failed${count('skip') > 0 ? `, ${count('skip')} skipped` : ''}`;
    if (steps[0]?.verdict === 'fail') {
      io.stdout.write(`verdict: the module does not answer (${summary})\n`);
      return 2;
    }
    io.stdout.write(failed === 0 ? `verdict: ready for TCP/IP (${summary})\n` : `verdict: not ready (${summary})\n`);
    return failed === 0 ? 0 : 1;
  } catch (error) {
    complain(io.stderr, 'doctor', error);
    return 2;
  } finally {
    channel.close();
  }
}

/** The check flow over an AT channel; every step is reported, the list is returned. */
export async function runDoctor(channel: AtChannel, options: DoctorOptions = {}): Promise<Step[]> {
  const steps: Step[] = [];
  const report = (name: string, verdict: Verdict, detail: string): Verdict => {
    const step = { name, verdict, detail };
    steps.push(step);
    options.onStep?.(step);
    return verdict;
  };
  const ask = async (text: string): Promise<AtResponse | AtCommandError> => {
    try {
      return await channel.command(text);
    } catch (error) {
      if (error instanceof AtCommandError) return error;
      throw error;
    }
  };

  // AT: a few tries (the port may have been mid-line, or the module busy booting).
  let alive = false;
  for (let attempt = 0; attempt < 3 && !alive; attempt++) {
    try {
      await channel.command('AT', { timeoutMs: 1_000 });
      alive = true;
    } catch (error) {
      if (error instanceof AtCommandError) alive = true;
      // A boot URC fails the AT in flight (the module restarted under it): ask again.
      else if (!(error instanceof AtTimeoutError) && !(error instanceof ModuleResetError)) throw error;
    }
  }
  if (report('AT', alive ? 'ok' : 'fail', alive ? 'the module answers' : 'no answer to AT (3 tries): wrong port or baud rate, module off, or stuck in data mode') === 'fail') {
    return steps;
  }

  const simOk = (await simStep(channel, options, ask, report)) !== 'fail';

  const csq = await ask('AT+CSQ');
  if (csq instanceof AtCommandError) report('signal', 'fail', csq.message);
  else {
    const value = responseValue(csq, '+CSQ:') ?? '';
    const rssi = Number(value.split(',')[0]);
    if (!Number.isInteger(rssi) || rssi === 99) report('signal', 'fail', `+CSQ: ${value} (no signal: check the antenna and the SIM, AN§1.4)`);
    else report('signal', rssi < 10 ? 'warn' : 'ok', `+CSQ: ${value} (${rssi === 0 ? '≤ -113' : rssi === 31 ? '≥ -51' : -113 + 2 * rssi} dBm${rssi < 10 ? ', weak' : ''})`);
  }

  const cfun = await ask('AT+CFUN?');
  if (cfun instanceof AtCommandError) report('radio', 'fail', cfun.message);
  else {
    const fun = Number(responseValue(cfun, '+CFUN:'));
    report('radio', fun === 1 ? 'ok' : 'fail', `+CFUN: ${fun} (${CFUN_TEXT[fun] ?? 'unknown'}${fun === 1 ? '' : '; AT+CFUN=1 turns the radio on'})`);
  }

  const creg = await registration(ask, '+CREG');
  if (creg.stat === undefined) report('CS reg', 'skip', creg.detail);
  else report('CS reg', REGISTERED.has(creg.stat) ? 'ok' : 'warn', `${creg.detail}${REGISTERED.has(creg.stat) ? '' : ' (circuit side only; packet registration decides)'}`);
  const cgreg = await registration(ask, '+CGREG');
  const cereg = await registration(ask, '+CEREG');
  const packet = [cgreg, cereg].filter((r) => r.stat !== undefined);
  const psOk = packet.some((r) => REGISTERED.has(r.stat as number));
  report('PS reg', psOk ? 'ok' : 'fail', packet.length === 0 ? 'neither CGREG nor CEREG answered' : packet.map((r) => r.detail).join('; '));

  const cpsi = await ask('AT+CPSI?');
  if (cpsi instanceof AtCommandError) report('cell', 'warn', cpsi.message);
  else {
    const value = responseValue(cpsi, '+CPSI:') ?? '';
    report('cell', /^NO SERVICE/i.test(value) || value === '' ? 'fail' : 'ok', `+CPSI: ${value}${/^NO SERVICE/i.test(value) ? ' (no service: network trouble, AN§1.4)' : ''}`);
  }

  let opened = false;
  let netOk = false;
  const state = await ask('AT+NETOPEN?');
  if (!(state instanceof AtCommandError) && responseValue(state, '+NETOPEN:') === '1') {
    netOk = report('network', 'ok', '+NETOPEN: 1 (socket service already open)') === 'ok';
  } else if (!simOk || !psOk) {
    report('network', 'skip', 'not tried: the SIM or the packet registration is not ready');
  } else {
    try {
      const response = await channel.command('AT+NETOPEN', {
        responsePrefixes: ['+NETOPEN:', '+IP ERROR:'],
        completion: { match: (l) => /^\+NETOPEN: ?-?\d+$/.test(l), what: '+NETOPEN: <err>', timeoutMs: options.netopenTimeoutMs ?? 120_000 },
      });
      const err = Number(/(-?\d+)$/.exec(response.completion ?? '')?.[1]);
      opened = err === 0;
      netOk = report('network', opened ? 'ok' : 'fail', `${response.completion ?? ''} (${opened ? 'socket service opened' : 'NETOPEN failed: APN? (AT+CGDCONT=1,"IP","<apn>")'})`) === 'ok';
    } catch (error) {
      if (!(error instanceof AtCommandError || error instanceof AtTimeoutError)) throw error;
      report('network', 'fail', error.message);
    }
  }

  if (!netOk) report('IP', 'skip', 'no socket service');
  else {
    const ip = await ask('AT+IPADDR');
    if (ip instanceof AtCommandError) report('IP', 'fail', ip.message);
    else report('IP', 'ok', `+IPADDR: ${responseValue(ip, '+IPADDR:') ?? '?'}`);
  }

  if (opened && options.keepOpen !== true) {
    await channel
      .command('AT+NETCLOSE', {
        responsePrefixes: ['+NETCLOSE:'],
        completion: { match: (l) => /^\+NETCLOSE: ?-?\d+$/.test(l), what: '+NETCLOSE: <err>', timeoutMs: options.netopenTimeoutMs ?? 120_000 },
      })
      .catch(() => undefined);
  }
  return steps;
}

type Ask = (text: string) => Promise<AtResponse | AtCommandError>;
type Report = (name: string, verdict: Verdict, detail: string) => Verdict;

/** CPIN?: READY is ok; SIM PIN with --pin is entered once; transient SIM errors are waited out. */
async function simStep(channel: AtChannel, options: DoctorOptions, ask: Ask, report: Report): Promise<Verdict> {
  const deadline = Date.now() + (options.simWaitMs ?? 20_000);
  let pinEntered = false;
  for (;;) {
    const answer = await ask('AT+CPIN?');
    let why: string;
    if (answer instanceof AtCommandError) {
      why = answer.final;
      if (!SIM_SETTLING.test(answer.final)) return report('SIM', 'fail', `${answer.final} (check the SIM card)`);
    } else {
      const code = responseValue(answer, '+CPIN:') ?? '?';
      if (code === 'READY') return report('SIM', 'ok', `+CPIN: READY${pinEntered ? ' (PIN entered)' : ''}`);
      if (code === 'SIM PIN' && options.pin !== undefined && !pinEntered) {
        pinEntered = true;
        const entered = await ask(`AT+CPIN="${options.pin.replace(/"/g, '')}"`);
        if (entered instanceof AtCommandError) return report('SIM', 'fail', `PIN refused: ${entered.final} (not retried: a wrong PIN blocks the SIM)`);
        continue;
      }
      if (/PIN|PUK/.test(code)) return report('SIM', 'fail', `+CPIN: ${code}${code === 'SIM PIN' ? ' (give --pin)' : ''}`);
      why = `+CPIN: ${code}`;
    }
    if (Date.now() >= deadline) return report('SIM', 'fail', `${why}: not READY within ${options.simWaitMs ?? 20_000} ms`);
    await channel.waitFor((line) => line === '+CPIN: READY', { timeoutMs: Math.min(1_000, Math.max(1, deadline - Date.now())), what: '+CPIN: READY' }).catch(() => undefined);
  }
}

async function registration(ask: Ask, name: '+CREG' | '+CGREG' | '+CEREG'): Promise<{ stat: number | undefined; detail: string }> {
  const answer = await ask(`AT${name}?`);
  if (answer instanceof AtCommandError) return { stat: undefined, detail: `${name}: not supported (${answer.final})` };
  const value = responseValue(answer, `${name}:`) ?? '';
  const stat = Number(value.split(',')[1]);
  if (!Number.isInteger(stat)) return { stat: undefined, detail: `${name}: ${value} (unreadable)` };
  return { stat, detail: `${name}: ${value} (${REG_TEXT[stat] ?? 'unknown'})` };
}
