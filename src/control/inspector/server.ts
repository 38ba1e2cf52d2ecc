import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControlPlane } from '../plane.js';
import { statusOf } from '../status.js';
import { tokenMatches } from '../token.js';
import type { LogEntry } from './framer.js';
import { LineRecorder } from './recorder.js';

/**
 * The web inspector, served by the control server on its own listener with its own token:
 *
 *   GET /?token=T                      the page (without the right token: a login prompt, 401)
 *   GET /inspector/events?modem=ID     server-sent events: hello, entries (the backlog), entry,
 *                                      status, gap (entries dropped for a slow page)
 *   GET /inspector/transcript?modem=ID the recorded AT line as a transcript (`--trace` format)
 *
 * The page's fault buttons call the control API itself (`POST /v1/modems/ID/verbs/VERB`), the
 * same verbs as `a76xx ctl`. Every asset is in the page (no CDN: it works offline).
 * The events and the transcript take the token as `Authorization: Bearer` or `?token=` (an
 * EventSource cannot send headers).
 */

/** Modems whose line is recorded from the start (a fleet's others: from when a page first watches). */
const EAGER_RECORDERS = 16;
/** A page this far behind gets no more entries until it catches up (then one `gap` event). */
const MAX_UNSENT_BYTES = 256 * 1024;
/** A change on the line or a verb: the status follows within this many ms. */
const STATUS_DELAY_MS = 100;
/** What the line does not show (bytes arriving into a buffer, timers): looked at this often. */
const STATUS_CHECK_MS = 1000;

const PAGE_DIR = new URL('./page/', import.meta.url);

export class Inspector {
  private readonly recorders = new Map<string, LineRecorder>();
  private readonly changeListeners = new Map<string, Set<() => void>>();
  private page: { html: string; login: string } | undefined;

  constructor(
    private readonly plane: ControlPlane,
    private readonly token: string,
  ) {
    for (const id of plane.ids.slice(0, EAGER_RECORDERS)) this.recorder(id);
  }

  /** Whether this request is the inspector's (then it has been answered). */
  handles(request: IncomingMessage, response: ServerResponse, url: URL): boolean {
    const path = url.pathname;
    if (path === '/' || path === '/inspector' || path === '/inspector/') {
      this.servePage(request, response, url);
      return true;
    }
    if (path === '/inspector/events') {
      if (this.authorized(request, url, response)) this.serveEvents(request, response, url);
      return true;
    }
    if (path === '/inspector/transcript') {
      if (this.authorized(request, url, response)) this.serveTranscript(response, url);
      return true;
    }
    return false;
  }

  /** A verb ran on modem `id` (or `all`): pages watching it get the new status soon. */
  changed(id: string): void {
    const ids = id === 'all' ? [...this.changeListeners.keys()] : [id];
    for (const one of ids) for (const listener of this.changeListeners.get(one) ?? []) listener();
  }

  close(): void {
    for (const recorder of this.recorders.values()) recorder.close();
    this.recorders.clear();
  }

  recorder(id: string): LineRecorder {
    let recorder = this.recorders.get(id);
    if (recorder === undefined) {
      recorder = new LineRecorder(this.plane.target(id));
      this.recorders.set(id, recorder);
    }
    return recorder;
  }

  private presented(request: IncomingMessage, url: URL): string | undefined {
    return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1] ?? url.searchParams.get('token') ?? undefined;
  }

  private authorized(request: IncomingMessage, url: URL, response: ServerResponse): boolean {
    const presented = this.presented(request, url);
    if (presented !== undefined && tokenMatches(presented, this.token)) return true;
    request.resume();
    response.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'WWW-Authenticate': 'Bearer realm="a76xx-control"' });
    response.end('missing or wrong token\n');
    return false;
  }

  private modemOf(url: URL, response: ServerResponse): string | undefined {
    const id = url.searchParams.get('modem') ?? this.plane.ids[0];
    if (id !== undefined && this.plane.ids.includes(id)) return id;
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(`no modem ${JSON.stringify(id ?? '')} (known: ${this.plane.ids.join(', ') || 'none'})\n`);
    return undefined;
  }

  private servePage(request: IncomingMessage, response: ServerResponse, url: URL): void {
    request.resume();
    const page = this.loadPage();
    const presented = url.searchParams.get('token');
    const ok = presented !== null && tokenMatches(presented, this.token);
    const nonce = randomBytes(16).toString('base64');
    const html = (ok ? page.html : page.login)
      .replaceAll('__NONCE__', nonce)
      .replace('__LOGIN_MESSAGE__', presented === null ? '' : 'That token is not the one this emulator printed.');
    response.writeHead(ok ? 200 : 401, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      // Everything is in the page; it talks only to this server.
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    });
    response.end(html);
  }

  private loadPage(): { html: string; login: string } {
    if (this.page === undefined) {
      const read = (name: string): string => readFileSync(new URL(name, PAGE_DIR), 'utf8');
      const style = read('inspector.css');
      this.page = {
        html: read('index.html').replace('/*STYLE*/', () => style).replace('/*SCRIPT*/', () => read('inspector.js')),
        login: read('login.html').replace('/*STYLE*/', () => style),
      };
    }
    return this.page;
  }

  private serveTranscript(response: ServerResponse, url: URL): void {
    const id = this.modemOf(url, response);
    if (id === undefined) return;
    const text = this.recorder(id).transcript();
    response.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Content-Disposition': `attachment; filename="a76xx-modem-${id}.transcript.txt"`,
      'Cache-Control': 'no-store',
    });
    response.end(text);
  }

  private serveEvents(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const id = this.modemOf(url, response);
    if (id === undefined) return;
    request.resume();
    const recorder = this.recorder(id);
    const target = this.plane.target(id);
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    response.socket?.setNoDelay(true);
    const send = (event: string, data: unknown): void => {
      response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    let dropped = 0;
    let lastStatus = '';
    let statusTimer: NodeJS.Timeout | undefined;
    const sendStatus = (): void => {
      statusTimer = undefined;
      const status = JSON.stringify(statusOf(target));
      if (status === lastStatus) return;
      lastStatus = status;
      response.write(`event: status\ndata: ${status}\n\n`);
    };
    const soon = (): void => {
      statusTimer ??= setTimeout(sendStatus, STATUS_DELAY_MS);
    };
    const onEntry = (entry: LogEntry): void => {
      soon();
      if (response.writableLength > MAX_UNSENT_BYTES) {
        dropped++;
        return;
      }
      if (dropped > 0) {
        send('gap', { dropped });
        dropped = 0;
      }
      send('entry', entry);
    };
    send('hello', { modem: id, modems: this.plane.ids, dialect: target.modem.dialect.name, droppedChunks: recorder.droppedChunks });
    send('entries', recorder.backlog());
    sendStatus();
    const unsubscribe = recorder.subscribe(onEntry);
    let listeners = this.changeListeners.get(id);
    if (listeners === undefined) {
      listeners = new Set();
      this.changeListeners.set(id, listeners);
    }
    const changeSet = listeners;
    changeSet.add(soon);
    const check = setInterval(sendStatus, STATUS_CHECK_MS);
    check.unref();
    response.on('close', () => {
      unsubscribe();
      changeSet.delete(soon);
      clearInterval(check);
      clearTimeout(statusTimer);
    });
  }
}
