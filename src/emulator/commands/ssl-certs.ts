import { CCERT_MAX_BYTES, CCERT_NAME_MAX, SSL_CONTEXT_COUNT, isCertName } from '../../at/ssl.js';
import { describeContext, FILE_SETTINGS, NUMERIC_SETTINGS, type FileSetting, type NumericSetting, type SslContext } from '../ssl/contexts.js';
import type { CommandTable, Handler } from './types.js';
import { ERROR, NONE, OK } from './types.js';

/**
 * SSL contexts and certificate files (docs/ssl-spec.md §2): AT+CSSLCFG, AT+CCERTDOWN,
 * AT+CCERTLIST, AT+CCERTDELE. None of them needs AT+CCHSTART.
 */

const CONTEXT = { min: 0, max: SSL_CONTEXT_COUNT - 1 };

/** The setting names as the manual spells them; real firmware refuses upper case (TinyGSM A7672x note). */
const SETTING_NAMES: readonly string[] = [...Object.keys(NUMERIC_SETTINGS), ...FILE_SETTINGS, 'ciphersuites'];

function settingName(written: string): string | undefined {
  return SETTING_NAMES.find((name) => name === written || name.toLowerCase() === written);
}

/** AT+CSSLCFG=<ctx> reads one context; AT+CSSLCFG="<setting>",<ctx>,<value> writes one setting. */
const csslcfgSet: Handler = (ctx) => {
  const p = ctx.params;
  const ssl = ctx.modem.ssl;
  if (p.count === 1) {
    const index = p.int(0, CONTEXT);
    ctx.info(describeContext(index, ssl.contexts[index] as SslContext));
    return OK;
  }
  const name = settingName(p.atMost(3).quoted(0));
  if (name === undefined) return ERROR;
  const index = p.int(1, CONTEXT);
  const context = ssl.contexts[index] as SslContext;
  if (name in NUMERIC_SETTINGS) {
    const key = name as NumericSetting;
    context[key] = p.int(2, NUMERIC_SETTINGS[key]);
    return OK;
  }
  if (name === 'ciphersuites') {
    const suite = p.text(2);
    if (!/^0x[0-9A-Fa-f]{4}$/.test(suite)) return ERROR;
    context.ciphersuites = suite;
    return OK;
  }
  // A file name, quoted (application note) or bare (TinyGSM); the file need not exist yet [INF].
  const file = p.text(2);
  if (!isCertName(file)) return ERROR;
  context[name as FileSetting] = file;
  return OK;
};

const csslcfgRead: Handler = (ctx) => {
  ctx.modem.ssl.contexts.forEach((context, index) => ctx.info(describeContext(index, context)));
  return OK;
};

const range = `(0-${SSL_CONTEXT_COUNT - 1})`;
const csslcfgTest: Handler = (ctx) => {
  ctx.info(`+CSSLCFG: "sslversion",${range},(0-4)`);
  ctx.info(`+CSSLCFG: "authmode",${range},(0-3)`);
  ctx.info(`+CSSLCFG: "ignorelocaltime",${range},(0,1)`);
  ctx.info(`+CSSLCFG: "negotiatetime",${range},(10-300)`);
  for (const file of FILE_SETTINGS) ctx.info(`+CSSLCFG: "${file}",${range},(5-${CCERT_NAME_MAX})`);
  ctx.info(`+CSSLCFG: "enableSNI",${range},(0,1)`);
  return OK;
};

/** AT+CCERTDOWN=<name>,<len>: `>`, exactly `<len>` bytes, then OK (or ERROR when the file does not fit). */
const ccertdownSet: Handler = async (ctx) => {
  const p = ctx.params.atMost(2);
  const name = p.text(0);
  const length = p.int(1, { min: 0, max: 9_999_999 });
  const store = ctx.modem.ssl.certs;
  if (store.refusal(name, length) !== undefined) return ERROR;
  const result = await ctx.readData({ length });
  if (ctx.life.aborted) return NONE; // rebooted during the data phase
  if (result.kind !== 'data') return ERROR;
  return store.put(name, result.data) ? OK : ERROR;
};

const ccertlistExec: Handler = (ctx) => {
  for (const name of ctx.modem.ssl.certs.names()) ctx.info(`+CCERTLIST: "${name}"`);
  return OK;
};

const ccertdeleSet: Handler = (ctx) => {
  const name = ctx.params.atMost(1).text(0);
  return ctx.modem.ssl.certs.delete(name) ? OK : ERROR;
};

const okOnly: Handler = () => OK;

export const sslCertCommands: CommandTable = {
  '+CSSLCFG': { set: csslcfgSet, read: csslcfgRead, test: csslcfgTest },
  '+CCERTDOWN': {
    set: ccertdownSet,
    test: (ctx) => {
      ctx.info(`+CCERTDOWN: (5-${CCERT_NAME_MAX}),(1-${CCERT_MAX_BYTES})`);
      return OK;
    },
  },
  '+CCERTLIST': { exec: ccertlistExec, test: okOnly },
  '+CCERTDELE': {
    set: ccertdeleSet,
    test: (ctx) => {
      ctx.info(`+CCERTDELE: (5-${CCERT_NAME_MAX})`);
      return OK;
    },
  },
};

