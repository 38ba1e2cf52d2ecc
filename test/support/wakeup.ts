/**
 * The wait of a test helper that collects what a real socket or a modem's output brings: look,
 * and if it is not there yet, sleep until something new arrives (`wake`) or the time left runs
 * out. The time is a bound on the test (it talks to real sockets), never a timing assertion.
 */
export class Wakeup {
  private waiter: (() => void) | undefined;

  /** Something arrived: a pending `next` resolves now. */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Resolves at the next `wake`, or after `ms` at the latest. */
  next(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiter = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => {
      this.waiter = undefined;
    });
  }
}
