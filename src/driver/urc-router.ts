/**
 * The one router of unsolicited lines: handlers registered by prefix (u-blox ubxlib / MQTT.js
 * style: one handler per kind of line, in its own place), each called for every line that starts
 * with its prefix. A handler that throws is reported, never allowed to stop the others.
 */
export type UrcHandler = (line: string) => void;

export class UrcRouter {
  private readonly handlers: { prefix: string; handler: UrcHandler }[] = [];
  private readonly failed: (error: unknown) => void;

  /** `failed` hears what a handler threw. */
  constructor(failed: (error: unknown) => void) {
    this.failed = failed;
  }

  /** Call `handler` for every line starting with `prefix`; returns the unsubscribe function. */
  on(prefix: string, handler: UrcHandler): () => void {
    const entry = { prefix, handler };
    this.handlers.push(entry);
    return () => {
      const i = this.handlers.indexOf(entry);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** Whether some handler takes lines like `line`. */
  handles(line: string): boolean {
    for (const { prefix } of this.handlers) if (line.startsWith(prefix)) return true;
    return false;
  }

  /** Give `line` to every handler of its prefix; whether there was one. */
  route(line: string): boolean {
    let handled = false;
    for (const { prefix, handler } of [...this.handlers]) {
      if (!line.startsWith(prefix)) continue;
      handled = true;
      try {
        handler(line);
      } catch (error) {
        this.failed(error);
      }
    }
    return handled;
  }
}

/**
 * What a listener or handler threw: to the emitter's 'listener-error' listeners if it has any,
 * else thrown on the next tick (an uncaught exception, as an EventEmitter listener's would be).
 */
export function reportListenerError(emitter: { listenerCount(name: 'listener-error'): number; emit(name: 'listener-error', error: unknown): boolean }, error: unknown): void {
  if (emitter.listenerCount('listener-error') > 0) {
    try {
      emitter.emit('listener-error', error);
      return;
    } catch (again) {
      error = again;
    }
  }
  process.nextTick(() => {
    throw error;
  });
}
