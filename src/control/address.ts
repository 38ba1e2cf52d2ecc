import type { HostPort } from '../common/host-port.js';

/** Where a control server listens: `[HOST:]PORT` as typed on the command line (common/host-port.ts parses it). */
export type ControlAddress = HostPort;

/** The control port when `--control` is given without one (the AT port's default, 7070, plus one). */
export const DEFAULT_CONTROL_PORT = 7071;
