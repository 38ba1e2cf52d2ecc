import type { CommandSpec, CommandTable } from './types.js';
import { basicCommands } from './basic.js';
import { identityCommands } from './identity.js';
import { deviceCommands } from './device.js';
import { simCommands } from './sim.js';
import { radioCommands } from './radio.js';
import { pdpCommands } from './pdp.js';
import { serialCommands } from './serial.js';
import { serviceCommands } from './service.js';
import { socketCommands } from './socket.js';
import { rxgetCommands } from './rxget.js';
import { dnsCommands } from './dns.js';
import { serverCommands } from './server.js';
import { dataModeCommands } from './datamode.js';
import { pingCommands } from './ping.js';
import { ntpCommands } from './ntp.js';
import { telephonyCommands } from './telephony.js';
import { sslCertCommands } from './ssl-certs.js';
import { sslCommands } from './ssl.js';

/** One file a family; this table is their union. A name defined twice is a bug, caught at load. */
const FAMILIES: readonly CommandTable[] = [
  basicCommands,
  identityCommands,
  deviceCommands,
  simCommands,
  radioCommands,
  pdpCommands,
  serialCommands,
  serviceCommands,
  socketCommands,
  rxgetCommands,
  dnsCommands,
  serverCommands,
  dataModeCommands,
  pingCommands,
  ntpCommands,
  telephonyCommands,
  sslCertCommands,
  sslCommands,
];

export const COMMANDS: ReadonlyMap<string, CommandSpec> = (() => {
  const all = new Map<string, CommandSpec>();
  for (const family of FAMILIES) {
    for (const [name, spec] of Object.entries(family)) {
      if (all.has(name)) throw new Error(`command ${name} defined twice`);
      all.set(name, spec);
    }
  }
  return all;
})();

/** The application note's misspellings, accepted only by dialects with `lenientAliases` (spec §6). */
export const LENIENT_ALIASES: ReadonlyMap<string, string> = new Map([
  ['+CIOPEN', '+CIPOPEN'],
  ['+CIPOEPN', '+CIPOPEN'],
  ['+NETCLOS', '+NETCLOSE'],
]);

/** S-registers share one spec under this key. */
export const S_REGISTER_KEY = 'S';

/** The spec that answers `name` in `table`: S-registers share one; lenient dialects take the misspellings. */
export function findCommand(table: ReadonlyMap<string, CommandSpec>, name: string, lenient: boolean): CommandSpec | undefined {
  const key = /^S\d+$/.test(name) ? S_REGISTER_KEY : name;
  const spec = table.get(key);
  if (spec !== undefined || !lenient) return spec;
  const target = LENIENT_ALIASES.get(key);
  return target === undefined ? undefined : table.get(target);
}
