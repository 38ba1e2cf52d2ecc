/**
 * The long soak run: `npm run soak -- [--mib N] [--udp-mib N] [--modes push,buffer,transparent]
 * [--segments K] [--minutes M] [--json]`.
 *
 * Moves N MiB (default 100) each way through every receive mode — the driver's public API, an
 * emulated module in this process, loopback echo servers — while links open and close and faults
 * fire (test/soak/soak-run.ts says which). Prints progress, then one line per mode and transport
 * (throughput, loss, whether the SHA-256 agree at both ends), the faults fired and any failure.
 * Exits 1 on any failure (a byte wrong or missing, a socket that did not fail or recover as it
 * should, the time bound), 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import type { SocketMode } from '../src/driver/link-user.js';
import { describeReport, runSoak } from '../test/soak/soak-run.js';

const MODES: readonly SocketMode[] = ['push', 'buffer', 'transparent'];

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '100' },
    'udp-mib': { type: 'string' },
    modes: { type: 'string', default: MODES.join(',') },
    segments: { type: 'string', default: '4' },
    minutes: { type: 'string', default: '45' },
    json: { type: 'boolean', default: false },
  },
});

function number(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) {
    console.error(`soak: --${name} must be a number >= ${min}, not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

const mib = number('mib', values.mib, 0.01);
const udpMib = values['udp-mib'] === undefined ? mib : number('udp-mib', values['udp-mib'], 0);
const segments = Math.round(number('segments', values.segments, 1));
const minutes = number('minutes', values.minutes, 0.1);
const modes = values.modes.split(',').map((m) => m.trim());
for (const m of modes) {
  if (!(MODES as readonly string[]).includes(m)) {
    console.error(`soak: unknown mode ${JSON.stringify(m)} (modes: ${MODES.join(', ')})`);
    process.exit(2);
  }
}

const log = values.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
log(`soak: ${mib} MiB TCP and ${udpMib} MiB UDP per mode (${modes.join(', ')}), ${segments} transfers each, at most ${minutes} min; emulator in this process`);

const report = await runSoak({
  mib,
  udpMib,
  modes: modes as SocketMode[],
  segments,
  deadlineMs: minutes * 60_000,
  log,
});
if (values.json) console.log(JSON.stringify(report));
else for (const line of describeReport(report)) console.log(line);
process.exit(report.ok ? 0 : 1);
