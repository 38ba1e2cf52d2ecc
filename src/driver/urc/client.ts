/** `+CLIENT: <link>,<server>,<ip>:<port>` (spec §2.2.14): a server accepted a client; the link is open. */
import { LINK_COUNT } from '../link-table.js';
import type { UrcHandlerSpec } from './context.js';

export const client: UrcHandlerSpec = {
  prefix: '+CLIENT:',
  handle(context, line) {
    const m = /^\+CLIENT: ?(\d+), ?(\d+), ?(.+):(\d+)$/.exec(line);
    if (m === null) return;
    const link = Number(m[1]);
    if (link >= LINK_COUNT) return;
    const remote = { address: (m[3] as string).replace(/^\[(.*)\]$/, '$1'), port: Number(m[4]) };
    const server = Number(m[2]);
    // In transparent mode server 0's client is link 0 in data mode (`CONNECT` follows, AN§3.4.1).
    const transparent = context.transparent && link === 0 && server === 0;
    context.links.set(link, { state: 'open', type: 'tcp', remote, server, transparent, closing: false });
    context.client({ link, server, remote });
  },
};
