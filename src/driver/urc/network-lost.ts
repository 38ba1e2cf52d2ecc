/**
 * `+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY` (the app note writes `+CIP EVENT:`, spec §6 #4): every
 * link is gone, and sends or connects awaiting their confirmation will never get it.
 */
import { NetworkLostError } from '../errors.js';
import { isNetworkLost } from '../../at/frames/service.js';
import type { UrcContext, UrcHandlerSpec } from './context.js';

function handle(context: UrcContext, line: string): void {
  if (!isNetworkLost(line)) return;
  context.networkDown();
  context.links.closeAll();
  const error = new NetworkLostError(line);
  context.failCompletions((command) => /^AT\+CIP(SEND|OPEN)=/i.test(command), error);
  context.networkLost(error);
}

export const networkLost: readonly UrcHandlerSpec[] = [
  { prefix: '+CIPEVENT:', handle },
  { prefix: '+CIP EVENT:', handle },
];
