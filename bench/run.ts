/**
 * `npm run bench` (a table) and `npm run bench -- --json` (one JSON object a line). Every ratio is
 * against a baseline measured in the same run, on loopback only; the whole run stops by itself in
 * about four minutes. See bench/README.md.
 *
 * Options: --json; --only NAME[,NAME] (transparent-goodput, command-goodput, paced-transparent,
 * paced-push, paced-buffer, paced-send, driver-parse, fleet, fleet-tcp); --modems N (fleet size, default 10000);
 * --tcp-modems N (default: the largest that fits the descriptor limit); --quick (short windows,
 * 1000 modems: a smoke run, not numbers to keep).
 *
 * Run from source it first compiles src/ and bench/ with tsc into bench/.build and re-runs itself
 * from there, so what is measured is the JavaScript that ships, not tsx's transform of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { commandGoodput, transparentGoodput } from './goodput.js';
import { fleetMemory, fleetTcp, openFilesLimit } from './fleet.js';
import { pacedBuffer, pacedPush, pacedSend, pacedTransparent } from './paced.js';
import { driverParse } from './parse.js';
import { jsonLine, table, type Row } from './lib/report.js';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const value = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (import.meta.url.endsWith('.ts') && !flag('--from-source')) {
  // Compile, then run the compiled bench with the same arguments.
  const benchDir = import.meta.dirname;
  const root = join(benchDir, '..');
  process.stderr.write('bench: compiling src/ and bench/ (tsc -p bench/tsconfig.json)…\n');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(benchDir, 'tsconfig.json')], { stdio: 'inherit' });
  // The CLI reads its version from ../../package.json.
  copyFileSync(join(root, 'package.json'), join(benchDir, '.build/package.json'));
  const result = spawnSync(process.execPath, [join(benchDir, '.build/bench/run.js'), ...args], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const ALL = ['transparent-goodput', 'command-goodput', 'paced-transparent', 'paced-push', 'paced-buffer', 'paced-send', 'driver-parse', 'fleet', 'fleet-tcp'] as const;
const only = value('--only')?.split(',');
const unknown = only?.filter((name) => !(ALL as readonly string[]).includes(name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (known: ${ALL.join(', ')})\n`);
  process.exit(2);
}
const wanted = (name: (typeof ALL)[number]): boolean => only === undefined || only.includes(name);
const quick = flag('--quick');
const json = flag('--json');

const goodput = { warmupMs: quick ? 300 : 500, windowMs: quick ? 1000 : 2000, rounds: quick ? 1 : 3 };
const paced = { warmupMs: quick ? 500 : 1000, windowMs: quick ? 2000 : 5000 };
const fleet = {
  n: Number(value('--modems') ?? (quick ? 1000 : 10_000)),
  tcpN: Number(value('--tcp-modems') ?? (quick ? 500 : 0)),
  samples: quick ? 300 : 2000,
  sendFraction: 0.1,
  sendSize: 1500,
  sendIntervalMs: 1000,
  basePort: 20_000,
};

/** A whole-run bound: past it the run stops with what it has (and says so). */
const LIMIT_MS = 6 * 60_000;
const started = Date.now();
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: still running after ${LIMIT_MS / 60_000} min: stopping\n`);
  process.exit(1);
}, LIMIT_MS);
watchdog.unref();

const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? '?',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  openFiles: openFilesLimit(),
  loadBefore: load(),
};
const info = (message: string): void => void process.stderr.write(`bench: ${message}\n`);
info(`${machine.cpus} cores (${machine.cpu}), ${machine.memoryGiB} GiB, node ${machine.node}, open files ${machine.openFiles}, load ${machine.loadBefore}`);

const rows: Row[] = [];
const emit = (r: Row): void => {
  rows.push(r);
  if (json) process.stdout.write(`${jsonLine(r)}\n`);
  else info(`${r.name}: ${r.value.toPrecision(4)} ${r.unit} (ratio ${r.ratio.toFixed(3)})`);
};

const steps: [(typeof ALL)[number], () => Promise<Row | Row[]>][] = [
  ['driver-parse', () => driverParse()],
  ['transparent-goodput', () => transparentGoodput(goodput)],
  ['command-goodput', () => commandGoodput(goodput)],
  ['paced-transparent', () => pacedTransparent(paced)],
  ['paced-push', () => pacedPush(paced)],
  ['paced-buffer', () => pacedBuffer(paced)],
  ['paced-send', () => pacedSend(paced)],
  ['fleet', () => fleetMemory(fleet)],
  ['fleet-tcp', () => fleetTcp(fleet)],
];
let failed = false;
for (const [name, run] of steps) {
  if (!wanted(name)) continue;
  const t0 = Date.now();
  info(`${name}…`);
  try {
    const out = await run();
    for (const r of Array.isArray(out) ? out : [out]) emit(r);
  } catch (err) {
    failed = true;
    info(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  info(`${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
info(`done in ${((Date.now() - started) / 1000).toFixed(0)} s, load ${load()}`);
if (!json) process.stdout.write(`\n${table(rows)}\n\nmachine: ${JSON.stringify({ ...machine, loadAfter: load() })}\n`);
process.exit(failed ? 1 : 0);
