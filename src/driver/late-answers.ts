/**
 * Late answers told apart by their echo. A command the channel gave up on (timed out, or in
 * flight when the module restarted) may still be answered after the next command was written;
 * a timer alone cannot tell that answer from the next command's on a busy host. With echo on —
 * as after every restart (ATE1 is the default, spec §2.1.3) — a late answer starts with its own
 * command's echo, a line no module prints otherwise: from that line to its final result the
 * output belongs to the command given up on, never to the one in flight.
 */
import { isBootLine } from './urcs.js';
import { isFinalResult as isFinalLine } from '../at/result-codes.js';

/** How many given-up commands are remembered (older ones' echoes are then ordinary lines). */
const REMEMBERED = 8;

export type LateLine = 'start' | 'inside' | 'end';

export class LateAnswers {
  private readonly givenUp: string[] = [];
  private absorbing = false;

  /** The channel stopped waiting for `text`'s answer (its recovery time passed). */
  gaveUp(text: string): void {
    this.givenUp.push(text);
    if (this.givenUp.length > REMEMBERED) this.givenUp.shift();
  }

  /**
   * Where `line` stands: the echo that starts a late answer, a line inside one, its final result,
   * or undefined (not part of a late answer). A boot line ends any late answer.
   */
  classify(line: string): LateLine | undefined {
    if (isBootLine(line)) {
      this.absorbing = false;
      return undefined;
    }
    if (this.absorbing) {
      if (!isFinalLine(line)) return 'inside';
      this.absorbing = false;
      return 'end';
    }
    const at = this.givenUp.indexOf(line);
    if (at < 0) return undefined;
    // Answers come in order: commands given up before this one will not answer any more.
    this.givenUp.splice(0, at + 1);
    this.absorbing = true;
    return 'start';
  }
}
