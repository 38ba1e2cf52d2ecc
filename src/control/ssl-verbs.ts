import { CCH_SESSION_COUNT } from '../at/ssl.js';
import type { EmulatedModem } from '../emulator/modem.js';
import { ControlError, type JsonObject, type JsonValue } from './params.js';
import type { VerbSpec } from './verb.js';

/**
 * Control verbs over the module's SSL service (docs/ssl-spec.md §6): the world's side of a TLS
 * session — a server whose handshakes fail, a certificate whose time is over.
 */

export const sslHandshakeFail: VerbSpec = {
  name: 'ssl-handshake-fail',
  summary: 'TLS handshakes of new AT+CCHOPEN sessions fail (on: +CCHOPEN: <sid>,15) or succeed again (off); open sessions are not touched',
  params: [{ name: 'state', kind: 'switch', help: 'on: every handshake fails' }],
  run(target, args) {
    const ssl = target.modem.ssl;
    ssl.failHandshakes = args.flag('state');
    return { failHandshakes: ssl.failHandshakes };
  },
};

export const certExpire: VerbSpec = {
  name: 'cert-expire',
  summary:
    'the certificate in module file NAME (AT+CCERTLIST) is past its end: sessions that check time ' +
    '(AT+CSSLCFG "ignorelocaltime" 0) and use it as CA or client certificate fail the handshake (15); ' +
    'off makes it valid again (a new AT+CCERTDOWN of the name does too)',
  params: [
    { name: 'name', kind: 'text', maxLength: 108, help: 'the file name, as AT+CCERTLIST shows it' },
    { name: 'state', kind: 'switch', optional: true, help: 'on (default): expired; off: valid again' },
  ],
  run(target, args) {
    const name = args.text('name');
    const expired = args.has('state') ? args.flag('state') : true;
    const certs = target.modem.ssl.certs;
    if (!certs.setExpired(name, expired)) {
      throw new ControlError('conflict', `no certificate file ${JSON.stringify(name)} (stored: ${certs.names().join(', ') || 'none'})`);
    }
    return { name, expired };
  },
};

/** The `ssl` part of `status`: the service, its sessions, the certificate files. */
export function sslStatusOf(modem: EmulatedModem): JsonObject {
  const ssl = modem.ssl;
  const sessions: JsonValue[] = [];
  for (let i = 0; i < CCH_SESSION_COUNT; i++) {
    const open = ssl.describe(i);
    const session = ssl.session(i);
    if (open === undefined && session === undefined) continue;
    sessions.push({
      session: i,
      state: session === undefined ? 'opening' : session.state,
      host: open?.host ?? session?.host ?? null,
      port: open?.port ?? session?.port ?? null,
      clientType: open?.clientType ?? session?.clientType ?? null,
      cached: session?.cached ?? 0,
      unsent: session?.unsent ?? 0,
    });
  }
  return {
    service: ssl.service,
    reportSend: ssl.settings.reportSend,
    recvMode: ssl.settings.recvMode,
    failHandshakes: ssl.failHandshakes,
    sessions,
    certificates: ssl.certs.names().map((name) => ({ name, bytes: ssl.certs.get(name)?.length ?? 0, expired: ssl.certs.isExpired(name) })),
  };
}
