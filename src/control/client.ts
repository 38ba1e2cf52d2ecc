import { request as httpRequest } from 'node:http';
import type { JsonValue } from './params.js';
import { DEFAULT_MODEM_ID } from './target.js';

/**
 * A client of the control server (what `a76xx ctl` and tests use). One request per connection,
 * bounded by a timeout; failures are `ControlClientError`s with a code saying what went wrong.
 */
export type ControlClientErrorCode =
  /** Nothing listens there (connection refused, host unreachable). */
  | 'unreachable'
  | 'timeout'
  /** The server refused the token (401). */
  | 'unauthorized'
  /** The server answered with an error (its `error.code` is in `serverCode`). */
  | 'refused'
  /** The answer was not the control API's JSON. */
  | 'protocol';

export class ControlClientError extends Error {
  override readonly name = 'ControlClientError';
  constructor(
    readonly code: ControlClientErrorCode,
    message: string,
    readonly status?: number,
    readonly serverCode?: string,
  ) {
    super(message);
  }
}

export interface ControlClientOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** Per request (default 5000 ms). */
  readonly timeoutMs?: number;
}

export class ControlClient {
  constructor(private readonly options: ControlClientOptions) {}

  /** Run a verb on a modem (or `all`); resolves with the server's `result` (or `results`). */
  async invoke(verb: string, args: Readonly<Record<string, unknown>> = {}, modem: string = DEFAULT_MODEM_ID): Promise<JsonValue> {
    const answer = await this.request('POST', `/v1/modems/${encodeURIComponent(modem)}/verbs/${encodeURIComponent(verb)}`, args);
    return (answer['result'] ?? answer['results'] ?? null) as JsonValue;
  }

  status(modem: string = DEFAULT_MODEM_ID): Promise<JsonValue> {
    return this.invoke('status', {}, modem);
  }

  /** One request; resolves with the JSON object of a 2xx answer. */
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, JsonValue>> {
    const { host, port, token } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 5000;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        host,
        port,
        method,
        path,
        agent: false,
        headers: {
          Authorization: `Bearer ${token}`,
          Connection: 'close',
          ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
        },
      });
      const timer = setTimeout(() => {
        req.destroy(new ControlClientError('timeout', `no answer from ${where(host, port)} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err instanceof ControlClientError) reject(err);
        else reject(new ControlClientError('unreachable', `no control server at ${where(host, port)} (${err.code ?? err.message})`));
      });
      req.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => {});
        response.on('end', () => {
          clearTimeout(timer);
          const status = response.statusCode ?? 0;
          let answer: Record<string, JsonValue>;
          try {
            const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
            answer = parsed as Record<string, JsonValue>;
          } catch {
            reject(new ControlClientError('protocol', `${where(host, port)} answered ${status} without the control API's JSON`, status));
            return;
          }
          if (status >= 200 && status < 300 && answer['ok'] === true) {
            resolve(answer);
            return;
          }
          const error = answer['error'];
          const serverCode = typeof error === 'object' && error !== null && !Array.isArray(error) ? String(error['code']) : undefined;
          const message = typeof error === 'object' && error !== null && !Array.isArray(error) ? String(error['message']) : `HTTP ${status}`;
          reject(new ControlClientError(status === 401 ? 'unauthorized' : 'refused', message, status, serverCode));
        });
      });
      req.end(payload);
    });
  }
}

function where(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
