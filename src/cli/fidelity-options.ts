import { InvalidArgumentError, Option, type Command } from 'commander';
import { CGACT_REJECT_CAUSES } from '../emulator/radio/faults.js';
import type { ConfigOverrides } from '../emulator/config.js';
import { MCC, MNC, OPERATOR_NAME } from '../emulator/radio/operator.js';
import { RegStat } from '../emulator/radio/registration.js';
import { TIMING_NAMES, type TimingName } from '../emulator/radio/timing.js';

/**
 * `a76xx emulate` flags for how closely the module behaves like a real one (README "Fidelity"):
 * the timing profile, the network it is on, and failures real modules show from power-on. Each
 * has a control verb of the same meaning for a running modem.
 */
export interface FidelityOptions {
  readonly timing: TimingName;
  readonly operator?: { readonly mcc: string; readonly mnc: string };
  readonly operatorName?: string;
  readonly operatorShort?: string;
  readonly rat: 'lte' | 'gsm';
  readonly register: keyof typeof REGISTRATION;
  readonly netopenFail?: 'error' | 'async';
  readonly cgactReject?: number;
  readonly resetNul?: true;
}

const REGISTRATION = {
  home: RegStat.Home,
  roaming: RegStat.Roaming,
  searching: RegStat.Searching,
  denied: RegStat.Denied,
  unknown: RegStat.Unknown,
  none: RegStat.None,
} as const;

function parsePlmn(value: string): { mcc: string; mnc: string } {
  const mcc = value.slice(0, 3);
  const mnc = value.slice(3);
  if (!MCC.test(mcc) || !MNC.test(mnc)) throw new InvalidArgumentError('expected MCC+MNC, 5 or 6 digits, e.g. 22201');
  return { mcc, mnc };
}

function parseOperatorName(value: string): string {
  if (!OPERATOR_NAME.test(value)) throw new InvalidArgumentError('expected 1-32 printable characters without "');
  return value;
}

function parseCause(value: string): number {
  const cause = Number(value);
  if (!CGACT_REJECT_CAUSES.includes(cause)) throw new InvalidArgumentError(`expected an ESM cause: ${CGACT_REJECT_CAUSES.join(', ')}`);
  return cause;
}

export function addFidelityOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--timing <PROFILE>',
        'fast: the module answers at once; realistic: NETOPEN, NETCLOSE, reboots and the boot (SIM busy, searching) ' +
          'take about as long as on a real module (control verb timing)',
      )
        .choices(TIMING_NAMES)
        .default('fast'),
    )
    .addOption(new Option('--operator <MCCMNC>', 'the network the module is on, e.g. 22201 (default 46001; control verb operator)').argParser(parsePlmn))
    .addOption(new Option('--operator-name <NAME>', 'its long name, AT+COPS format 0 (default CHN-UNICOM)').argParser(parseOperatorName))
    .addOption(new Option('--operator-short <NAME>', 'its short name, AT+COPS format 1 (default: the long name given, else UNICOM)').argParser(parseOperatorName))
    .addOption(new Option('--rat <TECH>', 'access technology of the serving cell (control verb rat)').choices(['lte', 'gsm']).default('lte'))
    .addOption(
      new Option('--register <STATE>', 'what the network grants at power-on (control verb register)').choices(Object.keys(REGISTRATION)).default('home'),
    )
    .addOption(
      new Option('--netopen-fail <HOW>', 'AT+NETOPEN fails: error (a bare ERROR) or async (OK, then +NETOPEN: 1) (control verb netopen-fail)').choices([
        'error',
        'async',
      ]),
    )
    .addOption(
      new Option('--cgact-reject <CAUSE>', `AT+CGACT=1 is rejected with this ESM cause (${CGACT_REJECT_CAUSES.join(', ')}) (control verb cgact-reject)`).argParser(
        parseCause,
      ),
    )
    .addOption(new Option('--reset-nul', 'emit a NUL byte (0x00) at power-on and every reset, before the boot URCs, as modules do'));
}

/** The configuration the fidelity flags describe. */
export function fidelityConfig(options: FidelityOptions): ConfigOverrides {
  const longName = options.operatorName;
  return {
    latency: { name: options.timing },
    radio: {
      rat: options.rat,
      registration: REGISTRATION[options.register],
      ...(options.operator ?? {}),
      ...(longName !== undefined ? { operatorName: longName, operatorShortName: options.operatorShort ?? longName } : {}),
      ...(options.operatorShort !== undefined ? { operatorShortName: options.operatorShort } : {}),
    },
    faults: {
      netopen: options.netopenFail ?? 'none',
      cgactCause: options.cgactReject,
    },
    bootNul: options.resetNul === true,
  };
}
