import type { Clock, Timer } from '../time/clock.js';
import type { SimulatedNetwork } from '../emulator/network/simulated.js';

/**
 * A network outage of one controlled modem: `network-loss` takes its simulated network down,
 * optionally for a while (`--for MS`), and `network-restore` brings it back. The end scheduled by
 * `--for` is this object's timer, so a later loss or a restore replaces or cancels it.
 */
export class NetworkOutage {
  private end: Timer | undefined;

  constructor(
    private readonly network: SimulatedNetwork | undefined,
    private readonly clock: Clock,
  ) {}

  /** Take the network down; an end scheduled before is dropped. */
  begin(): void {
    this.cancelEnd();
    this.network?.set({ down: true });
  }

  /** Bring the network back after `forMs` (nothing without a network). */
  endAfter(forMs: number): void {
    this.cancelEnd();
    const network = this.network;
    if (network === undefined) return;
    this.end = this.clock.setTimeout(() => {
      this.end = undefined;
      network.set({ down: false });
    }, forMs);
  }

  /** Bring the network back now; tells whether it was down. */
  restore(): boolean {
    this.cancelEnd();
    const wasDown = this.network?.conditions.down ?? false;
    this.network?.set({ down: false });
    return wasDown;
  }

  private cancelEnd(): void {
    this.end?.cancel();
    this.end = undefined;
  }
}
