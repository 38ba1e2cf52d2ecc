/** The Modem's URC handlers, one kind per file, registered on the channel's one router. */
import { client } from './client.js';
import type { UrcHandlerSpec } from './context.js';
import { ipClose } from './ip-close.js';
import { networkLost } from './network-lost.js';
import { rxNotice } from './rx-notice.js';

export type { UrcContext, UrcHandlerSpec } from './context.js';

export const URC_HANDLERS: readonly UrcHandlerSpec[] = [rxNotice, ipClose, client, ...networkLost];
