/** `+CLIENT: <link>,<server>,<ip>:<port>` (spec §2.2.14): a server accepted a client; the link is open. */
import { parseClient } from '../../at/frames/sockets.js';
import { freshLink, LINK_COUNT } from '../link-table.js';
import type { UrcHandlerSpec } from './context.js';

export const client: UrcHandlerSpec = {
  prefix: '+CLIENT:',
  handle(context, line) {
    const accepted = parseClient(line);
    if (accepted === undefined) return;
    const { link, server } = accepted;
    if (link >= LINK_COUNT) return;
    const remote = { address: accepted.address, port: accepted.port };
    // In transparent mode server 0's client is link 0 in data mode (`CONNECT` follows, AN§3.4.1).
    const transparent = context.transparent && link === 0 && server === 0;
    context.links.set(link, { ...freshLink(), state: 'open', type: 'tcp', remote, server, transparent });
    context.client({ link, server, remote });
  },
};
