/**
 * Drive the parser over a fixture the way the channel does: before each host command it announces
 * the command's echo (and the prompt for AT+CIPSEND); before host data it announces the data echo
 * when the command was echoed. Module output between host steps is fed in chunks.
 */
import type { TranscriptStep } from '../../../src/at/transcript.js';
import { ModuleOutputParser, type ModuleEvent } from '../../../src/at/module-output-framer.js';

/** Module output between host steps, and the host step that follows it. */
export interface Segment {
  readonly output: Buffer;
  readonly host: Buffer | undefined;
}

export function segmentsOf(steps: readonly TranscriptStep[]): Segment[] {
  const segments: Segment[] = [];
  let out: Buffer[] = [];
  for (const step of steps) {
    if (step.kind === 'expect') out.push(step.bytes);
    else if (step.kind === 'send') {
      segments.push({ output: Buffer.concat(out), host: step.bytes });
      out = [];
    }
  }
  segments.push({ output: Buffer.concat(out), host: undefined });
  return segments;
}

const isCommand = (bytes: Buffer): boolean => /^at/i.test(bytes.toString('latin1')) && bytes[bytes.length - 1] === 0x0d;

/** Feed every segment through `cutter` (which returns the chunks of one segment's output). */
export function driveParser(segments: readonly Segment[], cutter: (output: Buffer, index: number) => Buffer[]): ModuleEvent[] {
  const events: ModuleEvent[] = [];
  let echoed = false;
  const parser = new ModuleOutputParser((event) => {
    events.push(event);
    if (event.kind === 'echo' && !event.data) echoed = true;
    // The channel's part: `CONNECT` enters data mode at once.
    if (event.kind === 'line' && /^CONNECT( |$)/.test(event.text) && event.text !== 'CONNECT FAIL') parser.enterPassthrough();
  });
  segments.forEach((segment, index) => {
    for (const chunk of cutter(segment.output, index)) parser.feed(chunk);
    const host = segment.host;
    if (host === undefined) return;
    if (host.toString('latin1') === '+++') {
      parser.endPassthroughAt(['OK']);
    } else if (isCommand(host)) {
      parser.clearEcho();
      parser.cancelPrompt();
      echoed = false;
      parser.expectEcho(host);
      if (/^at\+cipsend=/i.test(host.toString('latin1'))) parser.expectPrompt();
    } else if (echoed) {
      parser.expectDataEcho(host);
    }
  });
  return events;
}

/** Events in a compact comparable form (buffers as text; adjacent passthrough bytes merged). */
export function describe(events: readonly ModuleEvent[]): string[] {
  const merged: ModuleEvent[] = [];
  for (const e of events) {
    const last = merged[merged.length - 1];
    if (e.kind === 'passthrough' && last?.kind === 'passthrough') {
      merged[merged.length - 1] = { kind: 'passthrough', bytes: Buffer.concat([last.bytes, e.bytes]) };
    } else merged.push(e);
  }
  return merged.map((e) => {
    switch (e.kind) {
      case 'line':
        return `line ${e.text}`;
      case 'echo':
        return e.data ? 'echo data' : 'echo';
      case 'prompt':
        return 'prompt';
      case 'push':
        return `push ${e.header} link=${e.link ?? '-'} from=${e.from === undefined ? '-' : `${e.from.address}:${e.from.port}`} ${JSON.stringify(e.bytes.toString('latin1'))}`;
      case 'rxget':
        return `rxget ${e.mode} link=${e.link} rest=${e.rest} ${JSON.stringify(e.bytes.toString('latin1'))}`;
      case 'cch':
        return `cch session=${e.session} ${JSON.stringify(e.bytes.toString('latin1'))}`;
      case 'passthrough':
        return `passthrough ${JSON.stringify(e.bytes.toString('latin1'))}`;
      case 'close-candidate':
        return 'close-candidate';
    }
  });
}
