import { setReason } from '../common/reasons.js';

/**
 * Why the host's input is held (flow control): a set of reasons, any of which holds it. `changed`
 * hears each switch between held and free — the module's `input-hold` event.
 */
export class InputHolds {
  private readonly reasons: string[] = [];

  constructor(private readonly changed: (held: boolean) => void) {}

  /** Hold (`on`) or release for `reason`. */
  set(reason: string, on: boolean): void {
    const before = this.held;
    setReason(this.reasons, reason, on);
    if (before !== this.held) this.changed(this.held);
  }

  has(reason: string): boolean {
    return this.reasons.includes(reason);
  }

  get held(): boolean {
    return this.reasons.length > 0;
  }

  /** Every reason at once (a reboot: whatever held the input died with the old life). */
  clear(): void {
    if (!this.held) return;
    this.reasons.length = 0;
    this.changed(false);
  }
}
