import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Inspector } from './inspector/server.js';
import { ControlError } from './params.js';
import { ALL_MODEMS, type ControlPlane } from './plane.js';
import { tokenMatches } from './token.js';
import { describeVerbs } from './verbs.js';
import { errorDetail } from '../common/errors.js';
import { formatHostPort } from '../common/host-port.js';
import { listen } from '../common/listen.js';

/**
 * The control plane over HTTP + JSON (documented in README.md, "Control plane"):
 *
 *   GET  /v1                              { api, version, modems, verbs }
 *   GET  /v1/verbs                        { verbs: [{ name, usage, summary, params }] }
 *   GET  /v1/modems                       { modems: [{ id, dialect, net }] }
 *   GET  /v1/modems/{id}/status           { ok, modem, verb, result }   (the status verb)
 *   POST /v1/modems/{id|all}/verbs/{verb} body: JSON object of arguments (may be empty)
 *                                         → { ok: true, modem, verb, result } or { ok: true, verb, results }
 *
 * Every request needs `Authorization: Bearer <token>`; failures answer
 * `{ ok: false, error: { code, message } }` with a 4xx/5xx status.
 *
 * The same listener serves the web inspector (`/?token=…`, `/inspector/…`: inspector/server.ts).
 */
export const API_VERSION = 1;
/** Largest request body accepted. */
const MAX_BODY_BYTES = 64 * 1024;

export interface ControlServerOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly token: string;
  /** Diagnostics (one line per failed request is not logged; internal errors are). */
  readonly log?: (message: string) => void;
}

export interface ControlServer {
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:7071` */
  readonly url: string;
  close(): Promise<void>;
}

export const DEFAULT_CONTROL_HOST = '127.0.0.1';

export async function serveControl(plane: ControlPlane, options: ControlServerOptions): Promise<ControlServer> {
  const host = options.host ?? DEFAULT_CONTROL_HOST;
  const inspector = new Inspector(plane, options.token);
  const server = createServer((request, response) => {
    handle(plane, inspector, options, request, response).catch((err: unknown) => {
      options.log?.(`control: ${errorDetail(err)}`);
      if (!response.headersSent) reply(response, 500, { ok: false, error: { code: 'internal', message: 'internal error' } });
      else response.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 1_000;
  const address = await listen(server, host, options.port);
  server.on('error', (err) => options.log?.(`control: ${err.message}`));
  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    url: `http://${formatHostPort(address.address, address.port)}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        inspector.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(
  plane: ControlPlane,
  inspector: Inspector,
  options: ControlServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (inspector.handles(request, response, new URL(request.url ?? '/', 'http://control'))) return;
  try {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined || !tokenMatches(presented, options.token)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="a76xx-control"');
      throw new ControlError('unauthorized', 'missing or wrong token (Authorization: Bearer <token>)');
    }
    const path = new URL(request.url ?? '/', 'http://control').pathname.replace(/\/+$/, '');
    const parts = path.split('/').filter(Boolean).map(decodePart);
    const method = request.method ?? 'GET';
    const body = await readBody(request);

    if (parts[0] !== 'v1') throw new ControlError('not-found', `no such resource ${path || '/'}`);
    const [, collection, id, sub, verb, ...extra] = parts;
    if (collection === undefined) {
      allow(method, 'GET');
      reply(response, 200, { ok: true, api: 'a76xx-control', version: API_VERSION, modems: plane.ids, verbs: plane.verbs.map((v) => v.name) });
      return;
    }
    if (collection === 'verbs' && id === undefined) {
      allow(method, 'GET');
      reply(response, 200, { ok: true, verbs: describeVerbs() });
      return;
    }
    if (collection === 'modems' && extra.length === 0) {
      if (id === undefined) {
        allow(method, 'GET');
        reply(response, 200, { ok: true, modems: plane.list() });
        return;
      }
      if (sub === 'status' && verb === undefined) {
        allow(method, 'GET');
        reply(response, 200, { ok: true, ...(await plane.invoke(id, 'status', {})) });
        return;
      }
      if (sub === 'verbs' && verb !== undefined) {
        allow(method, 'POST');
        if (id !== ALL_MODEMS) plane.target(id);
        const args = body.length === 0 ? {} : parseJson(body);
        const result = await plane.invoke(id, verb, args);
        inspector.changed(id);
        reply(response, 200, { ok: true, ...result });
        return;
      }
    }
    throw new ControlError('not-found', `no such resource ${path}`);
  } catch (err) {
    if (!(err instanceof ControlError)) throw err;
    // Drain what the client still sends, so it reads our answer rather than a reset.
    request.resume();
    // A refused body was read to its end (see readBody): answer, then close.
    if (err.code === 'too-large') response.setHeader('Connection', 'close');
    reply(response, err.status, { ok: false, error: { code: err.code, message: err.message } });
  }
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ControlError('bad-request', `cannot decode ${JSON.stringify(part)} in the path`);
  }
}

function allow(method: string, allowed: 'GET' | 'POST'): void {
  if (method !== allowed) throw new ControlError('method-not-allowed', `use ${allowed} here, not ${method}`);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlError('bad-request', 'the body is not JSON');
  }
}

/** How long the rest of a body too large to keep is read (and dropped) before the answer. */
const DRAIN_MS = 2000;

/**
 * The request body, at most MAX_BODY_BYTES. A larger body is refused (`too-large`), but only once
 * the client has finished sending it (read and dropped, for DRAIN_MS at most): closing a socket
 * with unread bytes in it makes the kernel send a reset, which can wipe our answer from the
 * client's receive buffer before it reads it. Then the answer, then the connection is closed.
 */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let tooLarge: ControlError | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const refuse = (): void => {
      clearTimeout(drainTimer);
      reject(tooLarge);
    };
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge !== undefined) return;
      if (size > MAX_BODY_BYTES) {
        tooLarge = new ControlError('too-large', `the body is larger than ${MAX_BODY_BYTES} bytes`);
        chunks = [];
        drainTimer = setTimeout(refuse, DRAIN_MS);
        drainTimer.unref();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => (tooLarge === undefined ? resolve(Buffer.concat(chunks)) : refuse()));
    request.on('error', (err) => {
      clearTimeout(drainTimer);
      reject(err);
    });
  });
}

function reply(response: ServerResponse, status: number, body: object): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}

// ---------------------------------------------------------------- the announcement line

/**
 * Printed by `a76xx emulate --control` before its ready line:
 *   a76xx control ready: http://127.0.0.1:7071 token <TOKEN> inspector http://127.0.0.1:7071/?token=<TOKEN> (file /run/user/0/a76xx/control-7071.token)
 */
export const CONTROL_READY_PREFIX = 'a76xx control ready: ';

export interface ControlAnnouncement {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** The web inspector's address, token included (absent on lines of older versions). */
  readonly inspector: string | undefined;
  readonly tokenFile: string | undefined;
}

/** The inspector's address: the control server's root, with the token. */
export function inspectorUrl(controlUrl: string, token: string): string {
  return `${controlUrl}/?token=${encodeURIComponent(token)}`;
}

export function controlReadyLine(server: ControlServer, token: string, tokenFile: string | undefined): string {
  return (
    `${CONTROL_READY_PREFIX}${server.url} token ${token} inspector ${inspectorUrl(server.url, token)}` +
    (tokenFile === undefined ? '' : ` (file ${tokenFile})`)
  );
}

export function parseControlReadyLine(line: string): ControlAnnouncement | undefined {
  const match = /^a76xx control ready: (http:\/\/(?:\[([^\]]+)\]|([^:/\s]+)):(\d+)) token (\S+)(?: inspector (\S+))?(?: \(file (.+)\))?\s*$/.exec(line);
  if (match === null) return undefined;
  return {
    url: match[1] as string,
    host: (match[2] ?? match[3]) as string,
    port: Number(match[4]),
    token: match[5] as string,
    inspector: match[6],
    tokenFile: match[7],
  };
}
