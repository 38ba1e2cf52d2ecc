/** `+IPCLOSE: <link>,<reason>` (spec §4): the module closed the link (0 local, 1 remote, 2 timeout/DTR). */
import { parseIpClose } from '../../at/frames/sockets.js';
import { LINK_COUNT } from '../link-table.js';
import type { UrcHandlerSpec } from './context.js';

export const ipClose: UrcHandlerSpec = {
  prefix: '+IPCLOSE:',
  handle(context, line) {
    const closed = parseIpClose(line);
    if (closed === undefined || closed.link >= LINK_COUNT) return;
    context.links.markClosed(closed.link);
    context.linkClosed(closed.link, closed.reason);
  },
};
