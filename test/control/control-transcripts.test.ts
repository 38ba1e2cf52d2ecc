import { describe, it } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeBytes } from '../../src/at/escape.js';
import { DIALECTS, dialectNamed, type Dialect } from '../../src/emulator/dialect.js';
import { loadTranscript, runTranscript } from '../support/transcript-runner.js';
import { linePort, startRig } from './rig.js';

/**
 * Every transcript in test/transcripts/control runs against a controlled modem (real network
 * behind the simulated one, loopback peers), its control verbs sent over the HTTP API.
 *
 * A first line `#! dialects=a76xx,app-note,sim7600` runs it once per dialect (default: a76xx).
 * Variables: those of test/control/rig.ts (${TCP_PORT}, ${UDP_PORT}, ${LOCAL_UDP_PORT},
 * ${CLOSED_PORT}), ${DIALECT}, ${CIPEVENT} (the dialect's +CIPEVENT prefix), ${BOOT} (its boot
 * URCs as escaped bytes, for a `<<` line), ${X1000} … (that many `x`).
 */
const dir = join(import.meta.dirname, '../transcripts/control');

function dialectsOf(text: string): Dialect[] {
  const first = text.split('\n')[0] ?? '';
  const setting = /^#!.*\bdialects=(\S+)/.exec(first)?.[1];
  if (setting === 'all') return Object.values(DIALECTS);
  return (setting ?? 'a76xx').split(',').map(dialectNamed);
}

function bootBytes(dialect: Dialect): string {
  return escapeBytes(Buffer.from(dialect.bootUrcs.map((line) => `\r\n${line}\r\n`).join(''), 'latin1'));
}

const BULK = { X1000: 'x'.repeat(1000), X3000: 'x'.repeat(3000), X4000: 'x'.repeat(4000) };

// Each run has its own modem, peers and server: they run side by side (several wait in real time).
describe('control transcripts', { concurrency: 4 }, () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    const path = join(dir, file);
    for (const dialect of dialectsOf(readFileSync(path, 'utf8'))) {
      it(`control transcript ${file} (${dialect.name})`, { timeout: 15_000 }, async () => {
        const rig = await startRig({ dialect });
        try {
          const vars = { ...rig.vars, ...BULK, DIALECT: dialect.name, CIPEVENT: dialect.cipEventPrefix, BOOT: bootBytes(dialect) };
          await runTranscript(linePort(rig.target.line), loadTranscript(path, vars), { actions: rig.actions });
        } finally {
          await rig.close();
        }
      });
    }
  }
});
