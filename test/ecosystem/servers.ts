/**
 * In-process servers the ecosystem clients talk to, each on 127.0.0.1 and an ephemeral port: an
 * aedes MQTT broker, a ws echo server, a TLS echo server (test/fixtures/tls), an http server, a
 * line-protocol server and a UDP echo. Each returns its port and a close function.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import http from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import { WebSocketServer } from 'ws';

const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');
export const TLS_CERT = readFileSync(join(TLS_DIR, 'cert.pem'));
const TLS_KEY = readFileSync(join(TLS_DIR, 'key.pem'));

export interface Running {
  readonly port: number;
  readonly close: () => Promise<void>;
}

async function listen(server: Server | http.Server | tls.Server, sockets: Set<Socket>): Promise<Running> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startBroker(): Promise<Running> {
  const broker = await Aedes.createBroker();
  const server = createServer((socket) => broker.handle(socket));
  const running = await listen(server, new Set());
  return {
    port: running.port,
    close: async () => {
      await running.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

/** Echoes every message, text as text and binary as binary. */
export async function startWsEcho(): Promise<Running> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const running = await listen(server, new Set());
  return {
    port: running.port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await running.close();
    },
  };
}

export async function startTlsEcho(): Promise<Running> {
  const server = tls.createServer({ key: TLS_KEY, cert: TLS_CERT }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  return listen(server, new Set());
}

/** Answers `GET /n` with `page n`, keep-alive as Node's default. */
export async function startHttp(): Promise<Running> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`page ${req.url?.slice(1) ?? ''}`);
  });
  return listen(server, new Set());
}

/** A line protocol: greets with `+OK ready\r\n` and waits for the client to speak. */
export async function startLineServer(): Promise<Running> {
  const server = createServer((socket) => {
    socket.write('+OK ready\r\n');
    socket.on('data', (chunk) => socket.write(`+OK ${chunk.toString().trim()}\r\n`));
  });
  return listen(server, new Set());
}

export async function startUdpEcho(): Promise<Running> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** A port nothing listens on (a server opened and closed again). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
