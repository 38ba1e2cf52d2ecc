/**
 * Real Node clients over the driver's sockets, against the emulator in this process and real
 * servers on 127.0.0.1, in each receive mode: MQTT.js (aedes broker), ws, tls, http with and
 * without a keep-alive agent, a line protocol, a refused connect, and UDP (push and buffer).
 * The clients are used as their users use them; nothing in them is bent to fit the driver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import tls from 'node:tls';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import type { SocketMode } from '../../src/driver/link-user.js';
import type { TcpSocket } from '../../src/driver/tcp-socket.js';
import { startEmulated, within, type Emulated } from '../driver/support/emulated.js';
import { freePort } from '../support/peers.js';
import { startBroker, startHttp, startLineServer, startTlsEcho, startUdpEcho, startWsEcho, TLS_CERT } from './servers.js';

const T = { timeout: 30_000 };
const MODES: readonly SocketMode[] = ['push', 'buffer', 'transparent'];

/** Resolves when the socket has closed (after an end or a destroy), bounded. */
function closed(socket: TcpSocket): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve();
  return within(new Promise<void>((resolve) => socket.once('close', () => resolve())), 5_000, 'socket close');
}

async function httpGet(options: http.RequestOptions): Promise<string> {
  return within(
    new Promise<string>((resolve, reject) => {
      const req = http.request(options, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    }),
    5_000,
    `GET ${options.path}`,
  );
}

for (const mode of MODES) {
  test(`ecosystem [${mode}]: MQTT.js, ws, tls, http, a line protocol and a refused connect over the driver`, T, async (t) => {
    const em: Emulated = await startEmulated({ mode });
    try {
      await t.test('MQTT.js: QoS 1 publish and its message back (aedes)', async () => {
        const broker = await startBroker();
        const client = new mqtt.MqttClient(() => em.a76xx.createConnection({ port: broker.port, host: '127.0.0.1' }), {
          protocolVersion: 4,
          reconnectPeriod: 0,
          clientId: `a76xx-${mode}`,
        });
        try {
          await within(new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject)), 5_000, 'MQTT connect');
          await within(client.subscribeAsync('a76xx/test', { qos: 1 }), 5_000, 'subscribe');
          const message = within(new Promise<[string, Buffer]>((resolve) => client.once('message', (topic, payload) => resolve([topic, payload]))), 5_000, 'message');
          await within(client.publishAsync('a76xx/test', `hello over ${mode}`, { qos: 1 }), 5_000, 'PUBACK');
          const [topic, payload] = await message;
          assert.equal(topic, 'a76xx/test');
          assert.equal(payload.toString(), `hello over ${mode}`);
        } finally {
          await within(client.endAsync(), 5_000, 'MQTT end');
          await broker.close();
        }
      });

      await t.test('ws: a text and a 70 kB binary message echoed', async () => {
        const server = await startWsEcho();
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, {
          // ws types this as net.createConnection; the driver's is http's shape, which ws calls.
          createConnection: ((options: http.ClientRequestArgs) => em.a76xx.createConnection(options)) as never,
        });
        try {
          await within(once(ws, 'open'), 5_000, 'ws open');
          const text = within(once(ws, 'message'), 5_000, 'text echo');
          ws.send('text frame');
          const [got, binary] = (await text) as [Buffer, boolean];
          assert.equal(binary, false);
          assert.equal(got.toString(), 'text frame');
          const blob = randomBytes(70_000);
          const back = within(once(ws, 'message'), 10_000, 'binary echo');
          ws.send(blob);
          const [echoed, isBinary] = (await back) as [Buffer, boolean];
          assert.equal(isBinary, true);
          assert.ok(Buffer.from(echoed).equals(blob), '70 kB byte-exact');
          const done = once(ws, 'close');
          ws.close();
          await within(done, 5_000, 'ws close');
        } finally {
          ws.terminate();
          await server.close();
        }
      });

      await t.test('tls: tls.connect({ socket }) over a modem socket, 100 kB echoed', async () => {
        const server = await startTlsEcho();
        const raw = em.a76xx.createConnection({ port: server.port, host: '127.0.0.1' });
        const secure = tls.connect({ socket: raw, ca: TLS_CERT, servername: 'localhost' });
        try {
          await within(once(secure, 'secureConnect'), 5_000, 'TLS handshake');
          const payload = randomBytes(100_000);
          const chunks: Buffer[] = [];
          let length = 0;
          const all = within(
            new Promise<void>((resolve) =>
              secure.on('data', (c: Buffer) => {
                chunks.push(c);
                length += c.length;
                if (length >= payload.length) resolve();
              }),
            ),
            10_000,
            '100 kB back',
          );
          secure.write(payload);
          await all;
          assert.ok(Buffer.concat(chunks).equals(payload), 'byte-exact');
        } finally {
          secure.destroy();
          raw.destroy();
          await closed(raw);
          await server.close();
        }
      });

      await t.test('http: two requests in a row, without an agent and with a keep-alive agent', async () => {
        const server = await startHttp();
        try {
          // `createConnection` as it is: bound, and taking http's options.
          const plain = { host: '127.0.0.1', port: server.port, agent: false, createConnection: em.a76xx.createConnection } satisfies http.RequestOptions;
          assert.equal(await httpGet({ ...plain, path: '/1' }), 'page 1');
          assert.equal(await httpGet({ ...plain, path: '/2' }), 'page 2');
          const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
          agent.createConnection = em.a76xx.createConnection as typeof agent.createConnection;
          try {
            assert.equal(await httpGet({ host: '127.0.0.1', port: server.port, agent, path: '/3' }), 'page 3');
            assert.equal(await httpGet({ host: '127.0.0.1', port: server.port, agent, path: '/4' }), 'page 4');
          } finally {
            agent.destroy();
          }
        } finally {
          await server.close();
        }
      });

      await t.test('a line protocol: the greeting line arrives whole within 500 ms', async () => {
        const server = await startLineServer();
        const socket = em.a76xx.createConnection({ port: server.port, host: '127.0.0.1' });
        try {
          await within(once(socket, 'connect'), 5_000, 'connect');
          let got = '';
          const line = within(
            new Promise<void>((resolve) =>
              socket.on('data', (c: Buffer) => {
                got += c.toString('latin1');
                if (got.endsWith('\r\n')) resolve();
              }),
            ),
            500,
            'the whole greeting line',
          );
          await line;
          assert.equal(got, '+OK ready\r\n');
        } finally {
          socket.destroy();
          await closed(socket);
          await server.close();
        }
      });

      await t.test("a refused connect is caught by 'error' with ECONNREFUSED", async () => {
        const port = await freePort('tcp');
        const socket = em.a76xx.createConnection({ port, host: '127.0.0.1' });
        const [error] = (await within(once(socket, 'error'), 5_000, 'error')) as [NodeJS.ErrnoException];
        assert.equal(error.code, 'ECONNREFUSED');
        assert.equal(error.syscall, 'connect');
        await closed(socket);
      });

      if (mode !== 'transparent') {
        await t.test('UDP: a datagram to a dgram echo and back', async () => {
          const echo = await startUdpEcho();
          const socket = em.a76xx.createUdpSocket();
          try {
            const back = within(once(socket, 'message'), 5_000, 'the echo');
            socket.send('datagram', echo.port, '127.0.0.1');
            const [msg, rinfo] = (await back) as [Buffer, { port: number }];
            assert.equal(msg.toString(), 'datagram');
            assert.equal(rinfo.port, echo.port);
          } finally {
            socket.close();
            await echo.close();
          }
        });
      }
    } finally {
      await em.close();
    }
  });
}
