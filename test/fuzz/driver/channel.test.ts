import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AtChannel, type AtResponse, type CommandOptions, type PushBlock } from '../../../src/driver/at-channel.js';
import { A76xxError, AtCommandError, AtTimeoutError, ChannelClosedError, ModuleResetError } from '../../../src/driver/errors.js';
import { createMemoryPair } from '../../../src/driver/transports/memory.js';
import { prng } from '../../driver/support/module-replay.js';
import { within } from '../../driver/support/emulated.js';
import { FUZZ_SEED, runs } from '../settings.js';
import { reported } from './failure.js';
import { chunkingArbitrary, payloadArbitrary, QUIET_URCS, soupArbitrary, type Chunking } from './output.js';
import { ScriptedModule, type Reply } from './scripted-module.js';

/**
 * The AT channel over the in-memory transport against a scripted module that prints URCs and
 * pushed blocks between any two frames of its answers, restarts mid-command, stays silent, and
 * cuts everything into random chunks. Well-formed runs: every command gets exactly its own answer
 * (lines, blocks, completion, typed error), every URC and pushed byte reaches its listener once,
 * in order. Hostile runs (garbage, truncated frames, reboots, a vanishing transport): no exception
 * escapes and every promise settles within its timeout.
 */

const options = (numRuns: number) => ({ seed: FUZZ_SEED, numRuns: runs(numRuns) });
const T = { timeout: 60_000 };
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const line = (text: string): Buffer => latin1(`\r\n${text}\r\n`);

/** Short timeouts: a command the module never answers costs this much. */
const SILENT_TIMEOUT_MS = 30;
/**
 * How long a failed command's late answer is absorbed. A command in flight at a boot line fails at
 * once, and this scripted module (unlike a real one) still answers it after its restart: that
 * answer must come within this time on a loaded machine, or it is taken for the next command's.
 */
const RECOVERY_MS = 250;
/** For commands that are answered: long enough never to fire on a loaded machine. */
const ANSWERED_TIMEOUT_MS = 5_000;

type Command =
  | { readonly kind: 'plain'; readonly lines: readonly string[]; readonly final: string }
  | { readonly kind: 'completion'; readonly early: boolean; readonly result: number }
  | { readonly kind: 'send'; readonly data: Buffer }
  | { readonly kind: 'read'; readonly mode: 2 | 3; readonly link: number; readonly rest: number; readonly bytes: Buffer }
  | { readonly kind: 'silent' }
  | { readonly kind: 'reboot'; readonly boot: readonly string[] }
  | { readonly kind: 'completion-reboot'; readonly boot: readonly string[] };

const BOOTS: readonly (readonly string[])[] = [['RDY'], ['*ATREADY: 1'], ['*ATREADY: 1', '+CPIN: READY', 'SMS DONE', 'PB DONE']];

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        lines: fc.array(fc.oneof(fc.stringMatching(/^[0-9A-Za-z ,."]{1,30}$/).map((t) => `:${t}`), fc.stringMatching(/^[0-9]{5,15}$/)), { maxLength: 3 }),
        final: fc.constantFrom('OK', 'OK', 'OK', 'ERROR', '+CME ERROR: 10', '+CME ERROR: SIM busy'),
      })
      .map((r): Command => ({ kind: 'plain', ...r })),
  },
  { weight: 2, arbitrary: fc.record({ early: fc.boolean(), result: fc.integer({ min: 0, max: 4 }) }).map((r): Command => ({ kind: 'completion', ...r })) },
  { weight: 3, arbitrary: fc.record({ data: payloadArbitrary() }).filter((r) => r.data.length > 0).map((r): Command => ({ kind: 'send', ...r })) },
  {
    weight: 3,
    arbitrary: fc
      .record({ mode: fc.constantFrom<2 | 3>(2, 3), link: fc.integer({ min: 0, max: 9 }), rest: fc.integer({ min: 0, max: 5000 }), bytes: payloadArbitrary(750) })
      .map((r): Command => ({ kind: 'read', ...r })),
  },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'silent' }) },
  { weight: 1, arbitrary: fc.constantFrom(...BOOTS).map((boot): Command => ({ kind: 'reboot', boot })) },
  { weight: 1, arbitrary: fc.constantFrom(...BOOTS).map((boot): Command => ({ kind: 'completion-reboot', boot })) },
);

/** The command line, the channel options and the module's reply for command `i`. */
function plan(command: Command, i: number): { text: string; options: CommandOptions; reply: Reply } {
  switch (command.kind) {
    case 'plain': {
      // `:text` lines carry the command's prefix; digit lines are bare information lines (an IMEI).
      const lines = command.lines.map((l) => (l.startsWith(':') ? `+XA${i}${l}` : l));
      return { text: `AT+XA${i}`, options: { timeoutMs: ANSWERED_TIMEOUT_MS }, reply: { frames: [...lines, command.final].map(line) } };
    }
    case 'completion': {
      const done = `+XC${i}: ${command.result}`;
      return {
        text: `AT+XC${i}`,
        options: { timeoutMs: ANSWERED_TIMEOUT_MS, completion: { match: (l) => l.startsWith(`+XC${i}:`), what: done } },
        reply: { frames: (command.early ? [done, 'OK'] : ['OK', done]).map(line) },
      };
    }
    case 'send': {
      // One link per send: with explicit prefixes a response takes its own lines first, so two
      // sends on one link must not overlap (the Modem waits for each completion; so does this).
      const link = i % 10;
      const n = command.data.length;
      const prefix = `+CIPSEND: ${link},`;
      return {
        text: `AT+CIPSEND=${link},${n}`,
        options: {
          timeoutMs: ANSWERED_TIMEOUT_MS,
          data: command.data,
          responsePrefixes: [prefix, '+CIPERROR:'],
          completion: { match: (l) => l.startsWith(prefix), what: `${prefix}<cnf>` },
        },
        reply: { frames: [latin1('\r\n>')], data: { length: n, after: [line('OK'), line(`${prefix}${n},${n}`)] } },
      };
    }
    case 'read': {
      const head = latin1(`\r\n+CIPRXGET: ${command.mode},${command.link},${command.bytes.length},${command.rest}\r\n`);
      const body = command.mode === 2 ? command.bytes : latin1(command.bytes.toString('hex').toUpperCase());
      return {
        text: `AT+CIPRXGET=${command.mode},${command.link},${command.mode === 2 ? 1500 : 750}`,
        options: { timeoutMs: ANSWERED_TIMEOUT_MS, responsePrefixes: [`+CIPRXGET: ${command.mode},`, '+IP ERROR:'] },
        reply: { frames: [Buffer.concat([head, body, latin1('\r\n')]), line('OK')] },
      };
    }
    case 'silent':
      return { text: `AT+XS${i}`, options: { timeoutMs: SILENT_TIMEOUT_MS }, reply: { frames: [] } };
    case 'reboot':
      return { text: `AT+XR${i}`, options: { timeoutMs: SILENT_TIMEOUT_MS }, reply: { frames: command.boot.map(line), reboot: true } };
    case 'completion-reboot':
      return {
        text: `AT+XB${i}`,
        options: { timeoutMs: ANSWERED_TIMEOUT_MS, completion: { match: (l) => l.startsWith(`+XB${i}:`), what: `+XB${i}: <err>` } },
        reply: { frames: ['OK', ...command.boot].map(line), reboot: true },
      };
  }
}

/** What the channel must make of the module's reply. */
function check(command: Command, i: number, outcome: PromiseSettledResult<AtResponse>): void {
  const where = `command ${i} (${command.kind})`;
  const resolved = (): AtResponse => {
    if (outcome.status === 'rejected') assert.fail(`${where}: rejected with ${String(outcome.reason)}`);
    return outcome.value;
  };
  const rejected = (type: new (...args: never[]) => Error): Error => {
    if (outcome.status === 'fulfilled') assert.fail(`${where}: resolved, expected ${type.name}`);
    assert.ok(outcome.reason instanceof type, `${where}: ${String(outcome.reason)}, expected ${type.name}`);
    return outcome.reason as Error;
  };
  switch (command.kind) {
    case 'plain': {
      const lines = command.lines.map((l) => (l.startsWith(':') ? `+XA${i}${l}` : l));
      if (command.final !== 'OK') {
        const error = rejected(AtCommandError) as AtCommandError;
        assert.equal(error.final, command.final, where);
        return;
      }
      const r = resolved();
      assert.deepEqual([r.lines, r.final, r.blocks, r.completion], [lines, 'OK', [], undefined], where);
      return;
    }
    case 'completion': {
      const r = resolved();
      const done = `+XC${i}: ${command.result}`;
      assert.deepEqual([r.lines, r.final, r.completion], [command.early ? [done] : [], 'OK', done], where);
      return;
    }
    case 'send': {
      const r = resolved();
      const n = command.data.length;
      assert.deepEqual([r.lines, r.final, r.completion], [[], 'OK', `+CIPSEND: ${i % 10},${n},${n}`], where);
      return;
    }
    case 'read': {
      const r = resolved();
      assert.deepEqual([r.lines, r.final], [[], 'OK'], where);
      assert.equal(r.blocks.length, 1, `${where}: one block`);
      const block = r.blocks[0]!;
      assert.deepEqual([block.mode, block.link, block.rest], [command.mode, command.link, command.rest], where);
      assert.ok(block.bytes.equals(command.bytes), `${where}: the bytes read`);
      return;
    }
    case 'silent':
      rejected(AtTimeoutError);
      return;
    case 'reboot':
    case 'completion-reboot':
      rejected(ModuleResetError);
      return;
  }
}

/**
 * Queued, the command after a `completion-reboot` is written on its OK, so it is in flight when the
 * boot line comes: it fails at once with ModuleResetError (the module would have lost it), and the
 * answer this scripted module still gives it is absorbed as a late answer (its lines are URCs).
 */
function lostInReboot(commands: readonly Command[], queued: boolean): Set<number> {
  const lost = new Set<number>();
  if (!queued) return lost;
  commands.forEach((c, i) => {
    if (c.kind === 'completion-reboot' && i + 1 < commands.length) lost.add(i + 1);
  });
  return lost;
}

/** Noise frames: URC lines and pushed blocks, chosen by a seeded generator; remembers what it made. */
function noiseMaker(seed: number, density: number, payloads: readonly Buffer[]) {
  const next = prng(seed);
  const urcs = new Set<Buffer>();
  const pushes = new Map<Buffer, PushBlock>();
  const make = (): Buffer[] => {
    const out: Buffer[] = [];
    while (next() < density) {
      const pick = next();
      if (pick < 0.5 || payloads.length === 0) {
        const frame = line(QUIET_URCS[Math.floor(next() * QUIET_URCS.length)] as string);
        urcs.add(frame);
        out.push(frame);
        continue;
      }
      const bytes = payloads[Math.floor(next() * payloads.length)] as Buffer;
      if (pick < 0.8) {
        const link = Math.floor(next() * 10);
        const frame = Buffer.concat([latin1(`\r\n+RECEIVE,${link},${bytes.length}\r\n`), bytes]);
        pushes.set(frame, { header: 'receive', link, from: undefined, bytes });
        out.push(frame);
      } else {
        const frame = Buffer.concat([latin1(`\r\nRECV FROM:127.0.0.1:7000\r\n+IPD${bytes.length}\r\n`), bytes]);
        pushes.set(frame, { header: 'ipd', link: undefined, from: { address: '127.0.0.1', port: 7000 }, bytes });
        out.push(frame);
      }
    }
    return out;
  };
  return { make, urcs, pushes };
}

function show(b: PushBlock): string {
  return `${b.header} ${b.link ?? '-'} ${b.from === undefined ? '-' : `${b.from.address}:${b.from.port}`} ${b.bytes.toString('hex')}`;
}

test('driver channel: each command gets exactly its own answer; URCs and pushed blocks between any frames reach their listeners once, in order', T, async () => {
  await reported(() => fc.assert(
    fc.asyncProperty(
      fc.array(commandArbitrary, { minLength: 1, maxLength: 10 }),
      fc.array(payloadArbitrary(), { minLength: 1, maxLength: 4 }),
      fc.record({ echo: fc.boolean(), chunking: chunkingArbitrary, seed: fc.integer(), density: fc.constantFrom(0, 0.2, 0.5) }),
      fc.boolean(),
      async (commands, payloads, setup, queued) => {
        const { host, module: end } = createMemoryPair();
        const plans = commands.map(plan);
        const noise = noiseMaker(setup.seed, setup.density, payloads);
        const module = new ScriptedModule(end, {
          replies: plans.map((p) => p.reply),
          echo: setup.echo,
          chunking: setup.chunking as Chunking,
          noise: noise.make,
        });
        const channel = new AtChannel(host, { recoveryMs: RECOVERY_MS });
        const unhandled: string[] = [];
        const handled: string[] = [];
        const pushed: string[] = [];
        const resets: string[] = [];
        const listenerErrors: unknown[] = [];
        channel.on('urc', (l, wasHandled) => (wasHandled ? handled : unhandled).push(l));
        channel.on('push', (b) => pushed.push(show(b)));
        channel.on('reset', (l) => resets.push(l));
        channel.on('listener-error', (e) => listenerErrors.push(e));
        try {
          // All at once (the channel queues them) or one after the other.
          const outcomes: PromiseSettledResult<AtResponse>[] = [];
          if (queued) {
            outcomes.push(...(await within(Promise.allSettled(plans.map((p) => channel.command(p.text, p.options))), 20_000, 'every command settles')));
          } else {
            for (const p of plans) outcomes.push(...(await within(Promise.allSettled([channel.command(p.text, p.options)]), 10_000, p.text)));
          }
          const lost = lostInReboot(commands, queued);
          commands.forEach((c, i) => {
            const outcome = outcomes[i] as PromiseSettledResult<AtResponse>;
            if (!lost.has(i)) check(c, i, outcome);
            else assert.ok(outcome.status === 'rejected' && outcome.reason instanceof ModuleResetError, `command ${i}: in flight at the boot line, ${String(outcome.status === 'rejected' ? outcome.reason : 'resolved')}`);
          });
          assert.deepEqual(module.lines, plans.map((p) => p.text), 'the module got every command line, in order');
          // (A send lost in a reboot may or may not reach its data phase: the restarted module decides.)
          if (![...lost].some((i) => commands[i]!.kind === 'send')) {
            const sends = commands.flatMap((c) => (c.kind === 'send' ? [c.data] : []));
            assert.equal(module.data.length, sends.length, 'every data phase');
            sends.forEach((d, k) => assert.ok(module.data[k]?.equals(d), `data phase ${k}: the bytes written`));
          }
          // Everything printed has been parsed.
          await within(module.flushed(), 5_000, 'the module output');
          await new Promise((r) => setTimeout(r, 5));
          // Noise URCs and boot lines, each once, in the order printed.
          const bootFrames = new Set(plans.flatMap((p, i) => (commands[i]!.kind.endsWith('reboot') ? p.reply.frames.filter((f) => !f.equals(line('OK'))) : [])));
          const expectedUrcs = module.printed.filter((f) => noise.urcs.has(f) || bootFrames.has(f)).map((f) => f.toString('latin1').trim());
          const lostLines = new Set([...lost].flatMap((i) => plans[i]!.reply.frames.concat(plans[i]!.reply.data?.after ?? []).map((f) => f.toString('latin1').trim())));
          const bootTexts = new Set([...bootFrames].map((f) => f.toString('latin1').trim()));
          assert.deepEqual(unhandled.filter((l) => !lostLines.has(l.trim()) || bootTexts.has(l.trim())), expectedUrcs, 'every URC once, in order');
          const boots = [...bootFrames].map((f) => f.toString('latin1').trim());
          assert.equal(resets.length, boots.filter((l) => l === 'RDY' || l.startsWith('*ATREADY')).length, 'one reset per boot line');
          const completions = commands.filter((c, i) => !lost.has(i) && ((c.kind === 'completion' && !c.early) || c.kind === 'send')).length;
          assert.equal(handled.length, completions, 'completions after OK went to their waitresses');
          const expectedPushes = module.printed.flatMap((f) => {
            const b = noise.pushes.get(f);
            return b === undefined ? [] : [show(b)];
          });
          assert.deepEqual(pushed, expectedPushes, 'pushed blocks, byte-exact, in order');
          assert.deepEqual(listenerErrors, []);
          assert.equal(module.repliesLeft, 0);
        } finally {
          channel.close();
        }
      },
    ),
    options(60),
  ));
});

/** Hostile output: a frame cut short, garbage before it, a restart in the middle, duplicates. */
type Mutation = { readonly kind: 'keep' } | { readonly kind: 'cut'; readonly at: number } | { readonly kind: 'garbage'; readonly bytes: Buffer } | { readonly kind: 'twice' };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Mutation>({ kind: 'keep' }) },
  { weight: 1, arbitrary: fc.nat().map((at): Mutation => ({ kind: 'cut', at })) },
  { weight: 2, arbitrary: soupArbitrary(6).map((bytes): Mutation => ({ kind: 'garbage', bytes })) },
  { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'twice' }) },
);

test('driver channel: hostile output (garbage, truncated frames, restarts, a vanishing transport) never throws and settles every promise in time', T, async () => {
  await reported(() => fc.assert(
    fc.asyncProperty(
      fc.array(commandArbitrary, { minLength: 1, maxLength: 8 }),
      fc.array(mutationArbitrary, { minLength: 1, maxLength: 30 }),
      fc.record({ echo: fc.boolean(), chunking: chunkingArbitrary, seed: fc.integer(), closeAfter: fc.option(fc.nat({ max: 12 }), { freq: 3 }) }),
      async (commands, mutations, setup) => {
        const { host, module: end } = createMemoryPair();
        // Every command times out quickly here: the answer may never be recognisable.
        const plans = commands.map((c, i) => {
          const p = plan(c, i);
          return { ...p, options: { ...p.options, timeoutMs: SILENT_TIMEOUT_MS * 2, ...(p.options.completion ? { completion: { ...p.options.completion, timeoutMs: 100 } } : {}) } };
        });
        let frameNo = 0;
        const noise = noiseMaker(setup.seed, 0.3, [latin1('\r\nOK\r\n'), latin1('x')]);
        // It answers from its script on its own; nothing here checks what it got.
        new ScriptedModule(end, {
          replies: plans.map((p) => p.reply),
          echo: setup.echo,
          chunking: setup.chunking as Chunking,
          noise: noise.make,
          mutate: (frame) => {
            const m = mutations[frameNo++ % mutations.length] as Mutation;
            if (setup.closeAfter !== null && frameNo === setup.closeAfter) setImmediate(() => end.destroy());
            switch (m.kind) {
              case 'keep':
                return frame;
              case 'cut':
                return frame.subarray(0, m.at % (frame.length + 1));
              case 'garbage':
                return Buffer.concat([m.bytes, frame]);
              case 'twice':
                return Buffer.concat([frame, frame]);
            }
          },
        });
        const channel = new AtChannel(host, { recoveryMs: RECOVERY_MS, guardMs: 10, escapeAnswerMs: 20 });
        const listenerErrors: unknown[] = [];
        channel.on('listener-error', (e) => listenerErrors.push(e));
        channel.on('urc', () => {});
        const waits = [channel.waitFor((l) => l === 'RING', { timeoutMs: 50, what: 'RING' }), channel.waitFor((l) => l.startsWith('+CIPRXGET: 1,'), { timeoutMs: 80, what: 'a notice' })];
        const commandPromises = plans.map((p) => channel.command(p.text, p.options));
        // Bound: each command in turn may take its timeout and the recovery pause, plus its completion.
        const bound = plans.length * (SILENT_TIMEOUT_MS * 2 + RECOVERY_MS) + 100 + 2_000;
        const outcomes = await within(Promise.allSettled([...commandPromises, ...waits]), bound, 'every promise settles');
        for (const o of outcomes) {
          if (o.status === 'rejected') assert.ok(o.reason instanceof A76xxError, `a typed error, not ${String(o.reason)}`);
        }
        // Data mode may have been entered by a stray CONNECT: leaving it must settle too.
        if (channel.inDataMode) await within(channel.escapeDataMode().catch(() => 'failed'), 1_000, '+++');
        channel.close();
        assert.ok((await channel.command('AT').catch((e: unknown) => e)) instanceof ChannelClosedError, 'closed: rejects at once');
        assert.deepEqual(listenerErrors, []);
      },
    ),
    options(60),
  ));
});
