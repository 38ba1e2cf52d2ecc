import http from 'node:http';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { A76xx } from '../driver/a76xx.js';
import type { SocketMode } from '../driver/link-user.js';
import { addDeviceOptions, complain, driverOptions, MODES, type DeviceOptions } from './nc.js';

/**
 * `a76xx fetch`: an HTTP GET through the module, with Node's own `http` client over a driver
 * TcpSocket (`createConnection`): the body goes to stdout. Exit 0 for 1xx–3xx (redirects are not
 * followed), 1 for an HTTP error status (≥ 400; the body is still written) or any other error.
 * http: only — TLS is not layered over the module's socket here.
 */

export interface FetchOptions extends DeviceOptions {
  readonly mode: SocketMode;
  readonly include?: boolean;
  readonly header?: readonly string[];
}

export interface FetchIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export function command(): Command {
  const fetch = new Command('fetch')
    .summary('HTTP GET through the module (Node http over a driver socket); the body to stdout')
    .description(
      'Fetch URL with an HTTP GET through the module and write the body to stdout. Exit 0 on a 1xx–3xx status ' +
        '(redirects are not followed), 1 on an HTTP error status (the body is still written) or any other error.',
    )
    .argument('<url>', 'an http:// URL; the host name is resolved by the module')
    .addOption(new Option('--mode <MODE>', 'receive mode').choices(MODES).default('push'))
    .addOption(new Option('-i, --include', 'write the status line and the response headers before the body'))
    .addOption(new Option('-H, --header <LINE>', 'extra request header "Name: value" (repeatable)').argParser(collect))
    .addHelpText('after', ['', 'Example:', '  a76xx fetch --device tcp://127.0.0.1:7070 http://example.test:8080/index.html > index.html'].join('\n'));
  return addDeviceOptions(fetch).action(async (url: string, options: FetchOptions) => {
    process.exitCode = await runFetch(url, options, { stdout: process.stdout, stderr: process.stderr });
  });
}

function collect(value: string, previous: readonly string[] | undefined): readonly string[] {
  return [...(previous ?? []), value];
}

/** Run fetch; resolves with the exit code. */
export async function runFetch(url: string, options: FetchOptions, io: FetchIo): Promise<number> {
  let a76xx: A76xx | undefined;
  try {
    const target = parseUrl(url);
    const headers = parseHeaders(options.header ?? []);
    a76xx = await A76xx.open(options.device, { ...driverOptions(options), mode: options.mode });
    const modem = a76xx;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(target, {
        method: 'GET',
        headers,
        createConnection: () => modem.createConnection({ port: Number(target.port || 80), host: target.hostname }) as unknown as Socket,
        timeout: options.timeout,
      });
      request.once('response', resolve);
      request.once('error', reject);
      request.once('timeout', () => request.destroy(new Error(`no response within ${options.timeout} ms`)));
      request.end();
    });
    if (options.include === true) {
      const lines = [`HTTP/${response.httpVersion} ${response.statusCode ?? 0} ${response.statusMessage ?? ''}`];
      for (let i = 0; i < response.rawHeaders.length; i += 2) lines.push(`${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}`);
      io.stdout.write(`${lines.join('\r\n')}\r\n\r\n`);
    }
    await pipeline(response, io.stdout, { end: false });
    await a76xx.close();
    const status = response.statusCode ?? 0;
    if (status >= 400) {
      io.stderr.write(`a76xx fetch: HTTP ${status} ${response.statusMessage ?? ''}`.trimEnd() + '\n');
      return 1;
    }
    return 0;
  } catch (error) {
    complain(io.stderr, 'fetch', error);
    await a76xx?.close().catch(() => {});
    return 1;
  }
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:') throw new Error(`only http:// URLs are supported, not ${parsed.protocol}`);
  return parsed;
}

function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (m === null) throw new Error(`not a header line "Name: value": ${line}`);
    headers[m[1] as string] = m[2] as string;
  }
  return headers;
}
