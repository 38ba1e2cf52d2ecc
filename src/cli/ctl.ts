import { Command, InvalidArgumentError, Option } from 'commander';
import { ControlClient, ControlClientError } from '../control/client.js';
import { DEFAULT_CONTROL_PORT, type ControlAddress } from '../control/address.js';
import { hostPortArgument } from './host-port-argument.js';
import { ControlError, checkArgs, wordsToArgs } from '../control/params.js';
import { DEFAULT_MODEM_ID } from '../control/target.js';
import { defaultTokenPath, readTokenFile } from '../control/token.js';
import { VERBS, verbNamed, verbUsage } from '../control/verbs.js';

/**
 * `a76xx ctl`: the command-line client of the control server of `a76xx emulate --control`.
 * Parsing and printing only; the verbs and their argument checks are the control plane's own.
 *
 * Exit codes: 0 done; 1 the server refused the verb (e.g. link not open); 2 bad usage (unknown
 * verb, bad arguments); 3 no server there, or no token to present; 4 the server refused the token.
 */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3, unauthorized: 4 } as const;

/** Server error codes that mean the command line was wrong (exit 2), not that the verb was refused. */
const USAGE_ERRORS: ReadonlySet<string> = new Set(['bad-args', 'unknown-verb', 'unknown-modem']);

interface CtlOptions {
  readonly control: ControlAddress;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly modem: string;
  readonly timeout: number;
}

export function command(): Command {
  return new Command('ctl')
    .summary('drive a running emulator: fault injection, radio, SIM, line, status')
    .description(
      'Send one verb to the control server of `a76xx emulate --control` and print its JSON answer. ' +
        'The token is read from --token, --token-file, $A76XX_CONTROL_TOKEN, or the file the emulator wrote for that port.',
    )
    .argument('<verb>', 'what to do (see the list below)')
    .argument('[args...]', "the verb's arguments")
    .addOption(
      new Option('--control <[HOST:]PORT>', `the control server (HOST defaults to 127.0.0.1)`)
        .argParser(controlAddress)
        .default({ host: '127.0.0.1', port: DEFAULT_CONTROL_PORT }, `127.0.0.1:${DEFAULT_CONTROL_PORT}`),
    )
    .addOption(new Option('--token <TOKEN>', 'the token the emulator printed'))
    .addOption(new Option('--token-file <FILE>', 'read the token from FILE'))
    .addOption(new Option('--modem <ID>', 'which modem (`all` for every one)').default(DEFAULT_MODEM_ID))
    .addOption(new Option('--timeout <MS>', 'give up after MS milliseconds').argParser(positiveInt).default(5000))
    .allowUnknownOption()
    .addHelpText(
      'after',
      [
        '',
        'Verbs:',
        ...VERBS.flatMap((v) => [`  ${verbUsage(v)}`, ...wrap(v.summary, 74).map((l) => `      ${l}`)]),
        '',
        'Exit codes: 0 done, 1 the verb was refused, 2 bad usage, 3 no server / no token, 4 token refused.',
        '',
        'Examples:',
        '  a76xx ctl network-loss',
        '  a76xx ctl --control 127.0.0.1:7071 csq 8 0',
        '  a76xx ctl inject-urc --timing mid-response "+CMTI: \\"SM\\",1"',
        '  a76xx ctl status',
      ].join('\n'),
    )
    .action((verb: string, words: string[], options: CtlOptions) => runCtl(verb, words, options));
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** `--control` value, with commander's error shape. */
export const controlAddress: (value: string) => ControlAddress = hostPortArgument(DEFAULT_CONTROL_PORT);

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function fail(code: number, message: string): never {
  process.stderr.write(`a76xx ctl: ${message}\n`);
  process.exit(code);
}

async function runCtl(verbName: string, words: readonly string[], options: CtlOptions): Promise<void> {
  // Checked here first, with the same rules as the server, so mistakes need no server.
  let args: Record<string, unknown>;
  try {
    const verb = verbNamed(verbName);
    args = wordsToArgs(verb.params, words);
    checkArgs(verb.params, args);
  } catch (err) {
    if (err instanceof ControlError) fail(EXIT.usage, `${verbName}: ${err.message}`);
    throw err;
  }
  const { host, port } = options.control;
  const token = findToken(options, port);
  const client = new ControlClient({ host, port, token, timeoutMs: options.timeout });
  try {
    const result = await client.invoke(verbName, args, options.modem);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exit(EXIT.ok);
  } catch (err) {
    if (!(err instanceof ControlClientError)) throw err;
    switch (err.code) {
      case 'unreachable':
      case 'timeout':
        fail(EXIT.unreachable, `${err.message}; is \`a76xx emulate --control ${host}:${port}\` running?`);
      case 'unauthorized':
        fail(EXIT.unauthorized, `the control server refused the token (${err.message})`);
      case 'refused':
        fail(USAGE_ERRORS.has(err.serverCode ?? '') ? EXIT.usage : EXIT.refused, `${verbName}: ${err.message}`);
      case 'protocol':
        fail(EXIT.unreachable, err.message);
    }
  }
}

function findToken(options: CtlOptions, port: number): string {
  if (options.token !== undefined) return options.token;
  const fromEnv = process.env['A76XX_CONTROL_TOKEN'];
  const file = options.tokenFile ?? (fromEnv !== undefined && fromEnv !== '' ? undefined : defaultTokenPath(port));
  if (file === undefined) return fromEnv as string;
  try {
    return readTokenFile(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    fail(
      EXIT.unreachable,
      `no token: cannot read ${file} (${reason}); is \`a76xx emulate --control …:${port}\` running? Or pass --token / --token-file`,
    );
  }
}
