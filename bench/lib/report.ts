/**
 * One measured number of the bench, as `npm run bench -- --json` prints it (one object a line):
 * `value` in `unit`, the `baseline` measured in the same run (same unit), `ratio` = value/baseline.
 * `goal` is the issue's target for the ratio (or, where stated, for the value) and `better` says
 * which way is good.
 */
export interface Row {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number;
  readonly ratio: number;
  /** What the baseline is, for the table. */
  readonly baselineIs: string;
  readonly goal?: Goal;
  /** Fleet rows: how many modems were emulated. */
  readonly modems?: number;
  /** Anything else worth keeping (setup, counts). */
  readonly detail?: Readonly<Record<string, number | string | boolean>>;
}

export interface Goal {
  /** Which number the goal is about. */
  readonly on: 'ratio' | 'value';
  readonly atLeast?: number;
  readonly atMost?: number;
  readonly below?: number;
}

export function row(fields: Omit<Row, 'ratio'>): Row {
  return { ...fields, ratio: fields.baseline === 0 ? 0 : fields.value / fields.baseline };
}

export function goalMet(r: Row): boolean | undefined {
  const goal = r.goal;
  if (goal === undefined) return undefined;
  const x = goal.on === 'ratio' ? r.ratio : r.value;
  if (goal.atLeast !== undefined && !(x >= goal.atLeast)) return false;
  if (goal.atMost !== undefined && !(x <= goal.atMost)) return false;
  if (goal.below !== undefined && !(x < goal.below)) return false;
  return true;
}

function goalText(r: Row): string {
  const goal = r.goal;
  if (goal === undefined) return '';
  const what = goal.on === 'ratio' ? 'ratio' : r.unit;
  const bound = goal.atLeast !== undefined ? `>= ${goal.atLeast}` : goal.atMost !== undefined ? `<= ${goal.atMost}` : `< ${goal.below}`;
  return `${goal.on === 'ratio' ? `${what} ${bound}` : `${bound} ${what}`} ${goalMet(r) ? 'met' : 'NOT met'}`;
}

/** The JSON line of a row. */
export function jsonLine(r: Row): string {
  const out: Record<string, unknown> = {
    name: r.name,
    value: round(r.value),
    unit: r.unit,
    baseline: round(r.baseline),
    ratio: round(r.ratio, 4),
  };
  if (r.modems !== undefined) out['modems'] = r.modems;
  if (r.goal !== undefined) out['goal'] = goalText(r);
  if (r.detail !== undefined) out['detail'] = r.detail;
  return JSON.stringify(out);
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const scale = 10 ** Math.max(0, digits - Math.floor(Math.log10(Math.abs(x) || 1)) - 1);
  return Math.abs(x) >= 10 ** digits ? Math.round(x) : Math.round(x * scale) / scale;
}

/** The human table. */
export function table(rows: readonly Row[]): string {
  const cells = rows.map((r) => [
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    `${fmt(r.baseline)} ${r.unit}`,
    r.ratio.toFixed(3),
    goalText(r),
    r.baselineIs,
  ]);
  const head = ['benchmark', 'value', 'baseline', 'ratio', 'goal', 'baseline is'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) => c.map((x, i) => (i === 1 || i === 2 || i === 3 ? x.padStart(widths[i] as number) : x.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function fmt(x: number): string {
  if (Math.abs(x) >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (Math.abs(x) >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return String(round(x));
}
