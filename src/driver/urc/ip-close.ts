/** `+IPCLOSE: <link>,<reason>` (spec §4): the module closed the link (0 local, 1 remote, 2 timeout/DTR). */
import { LINK_COUNT } from '../link-table.js';
import type { UrcHandlerSpec } from './context.js';

export const ipClose: UrcHandlerSpec = {
  prefix: '+IPCLOSE:',
  handle(context, line) {
    const m = /^\+IPCLOSE: ?(\d+), ?(\d+)$/.exec(line);
    if (m === null) return;
    const link = Number(m[1]);
    if (link >= LINK_COUNT) return;
    context.links.markClosed(link);
    context.linkClosed(link, Number(m[2]));
  },
};
