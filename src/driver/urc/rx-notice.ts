/** `+CIPRXGET: 1,<link>` (buffer mode, spec §2.2.5): the module holds data for the link. */
import { parseRxgetNotice } from '../../at/frames/data.js';
import { LINK_COUNT } from '../link-table.js';
import type { UrcHandlerSpec } from './context.js';

export const rxNotice: UrcHandlerSpec = {
  prefix: '+CIPRXGET: 1,',
  handle(context, line) {
    const link = parseRxgetNotice(line) ?? NaN;
    if (Number.isInteger(link) && link >= 0 && link < LINK_COUNT) context.readable(link);
  },
};
