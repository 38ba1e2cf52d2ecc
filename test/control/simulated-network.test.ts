import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/emulator/clock.js';
import { SimulatedNetwork, SimulatedTcpConnection } from '../../src/emulator/network/simulated.js';
import {
  NetworkError,
  type Endpoint,
  type Network,
  type TcpCloseCause,
  type TcpConnection,
  type NetworkTcpConnectOptions,
  type TcpHandlers,
  type TcpListener,
  type UdpHandlers,
  type NetworkUdpSocket,
} from '../../src/emulator/network/types.js';

/** An in-memory network: every connect succeeds at once; the test plays the peer. */
class MemoryNetwork implements Network {
  readonly connections: MemoryConnection[] = [];
  readonly udp: MemoryUdp[] = [];
  resolved: string[] = [];

  resolve(name: string): Promise<string> {
    this.resolved.push(name);
    return Promise.resolve('192.0.2.1');
  }

  connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection> {
    const c = new MemoryConnection({ address: options.host, port: options.port });
    this.connections.push(c);
    return Promise.resolve(c);
  }

  bindUdp(): Promise<NetworkUdpSocket> {
    const s = new MemoryUdp();
    this.udp.push(s);
    return Promise.resolve(s);
  }

  listenTcp(): Promise<TcpListener> {
    return Promise.reject(new NetworkError('failed', 'not here'));
  }
}

class MemoryConnection implements TcpConnection {
  readonly local: Endpoint = { address: '10.0.0.1', port: 40000 };
  handlers: TcpHandlers | undefined;
  written: Buffer[] = [];
  ended: 'close' | 'abort' | undefined;
  paused = false;
  pendingWriteBytes = 0;

  constructor(readonly remote: Endpoint) {}

  attach(handlers: TcpHandlers): void {
    this.handlers = handlers;
  }
  write(data: Buffer): Promise<void> {
    this.written.push(data);
    return Promise.resolve();
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  close(): void {
    this.ended = 'close';
  }
  abort(): void {
    this.ended = 'abort';
  }
  /** The peer sends. */
  send(text: string): void {
    this.handlers?.data(Buffer.from(text));
  }
  hangUp(cause: TcpCloseCause): void {
    this.handlers?.closed(cause);
  }
  get text(): string {
    return Buffer.concat(this.written).toString();
  }
}

class MemoryUdp implements NetworkUdpSocket {
  readonly local: Endpoint = { address: '10.0.0.1', port: 50000 };
  handlers: UdpHandlers | undefined;
  sent: string[] = [];
  attach(handlers: UdpHandlers): void {
    this.handlers = handlers;
  }
  send(data: Buffer): Promise<void> {
    this.sent.push(data.toString());
    return Promise.resolve();
  }
  close(): void {}
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Seen {
  events: string[];
  handlers: TcpHandlers;
}

function watch(clock: FakeClock): Seen {
  const events: string[] = [];
  return {
    events,
    handlers: {
      data: (chunk) => events.push(`${clock.now()} data ${chunk.toString()}`),
      closed: (cause) => events.push(`${clock.now()} closed ${cause}`),
    },
  };
}

async function connected(net: SimulatedNetwork, clock: FakeClock, step = 1): Promise<SimulatedTcpConnection> {
  const pending = net.connectTcp({ host: '192.0.2.1', port: 80 });
  for (let i = 0; i < 100; i++) {
    await settle();
    clock.advance(step);
  }
  const c = await pending;
  assert.ok(c instanceof SimulatedTcpConnection);
  return c;
}

test('simulated network: normal conditions pass everything through synchronously', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock });
  const c = await net.connectTcp({ host: '192.0.2.1', port: 80 });
  const seen = watch(clock);
  c.attach(seen.handlers);
  const raw = inner.connections[0] as MemoryConnection;
  raw.send('hi');
  assert.deepEqual(seen.events, ['0 data hi']);
  void c.write(Buffer.from('yo'));
  assert.equal(raw.text, 'yo');
  raw.hangUp('remote');
  assert.deepEqual(seen.events, ['0 data hi', '0 closed remote']);
  assert.equal(clock.pending, 0, 'no timer was ever needed');
  assert.equal(net.available, true);
});

test('simulated network: latency delays connects, data both ways and the FIN, in order', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock, conditions: { latencyMs: 50 } });
  const started = clock.now();
  const c = await connected(net, clock);
  assert.ok(clock.now() - started >= 100, 'a connect takes a round trip');
  const seen = watch(clock);
  c.attach(seen.handlers);
  const raw = inner.connections[0] as MemoryConnection;
  const t0 = clock.now();
  raw.send('a');
  raw.send('b');
  raw.hangUp('remote');
  void c.write(Buffer.from('up'));
  assert.deepEqual(seen.events, []);
  assert.equal(raw.text, '');
  clock.advance(49);
  assert.deepEqual(seen.events, []);
  clock.advance(1);
  assert.deepEqual(seen.events, [`${t0 + 50} data a`, `${t0 + 50} data b`, `${t0 + 50} closed remote`]);
  assert.equal(raw.text, 'up');
  // A write after the peer's end was seen fails.
  await assert.rejects(c.write(Buffer.from('late')), /closed/);
});

test('simulated network: the bandwidth limit serialises segments on a pipe shared by all sockets', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock, conditions: { bandwidthBps: 8000 } }); // 1 byte/ms
  const a = await net.connectTcp({ host: '192.0.2.1', port: 1 });
  const b = await net.connectTcp({ host: '192.0.2.1', port: 2 });
  const seenA = watch(clock);
  const seenB = watch(clock);
  a.attach(seenA.handlers);
  b.attach(seenB.handlers);
  (inner.connections[0] as MemoryConnection).send('x'.repeat(3000));
  (inner.connections[1] as MemoryConnection).send('y'.repeat(100));
  assert.equal(net.inFlight.downlinkBytes, 3100);
  clock.advance(1460);
  assert.equal(seenA.events.length, 1, 'the first 1460-byte segment after 1460 ms');
  clock.advance(1540);
  assert.equal(seenA.events.length, 3, 'all three segments of A by 3000 ms');
  assert.deepEqual(seenB.events, [], 'B waits behind A on the shared pipe');
  clock.advance(100);
  assert.deepEqual(seenB.events, [`3100 data ${'y'.repeat(100)}`]);
  assert.equal(net.inFlight.downlinkBytes, 0);
  // Uplink: 2000 bytes take 2 s; pendingWriteBytes counts them meanwhile.
  const wrote = a.write(Buffer.alloc(2000, 0x7a));
  assert.equal(a.pendingWriteBytes, 2000);
  clock.advance(1460);
  assert.equal(a.pendingWriteBytes, 540);
  clock.advance(540);
  await wrote;
  assert.equal((inner.connections[0] as MemoryConnection).text.length, 2000);
});

test('simulated network: a paused connection holds data and its close until resumed', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock });
  const c = await net.connectTcp({ host: '192.0.2.1', port: 80 });
  const seen = watch(clock);
  c.attach(seen.handlers);
  const raw = inner.connections[0] as MemoryConnection;
  c.pause();
  assert.equal(raw.paused, true, 'the real socket feels the back-pressure');
  raw.send('held');
  raw.hangUp('reset');
  assert.deepEqual(seen.events, []);
  c.resume();
  assert.deepEqual(seen.events, ['0 data held', '0 closed reset']);
});

test('simulated network: closeByPeer ends the module side after the data in flight, and the real side too', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock, conditions: { latencyMs: 10 } });
  const c = await connected(net, clock);
  const seen = watch(clock);
  c.attach(seen.handlers);
  const raw = inner.connections[0] as MemoryConnection;
  raw.send('last');
  assert.equal(c.closeByPeer('reset'), true);
  assert.equal(raw.ended, 'abort', 'the real peer is reset');
  assert.equal(c.closeByPeer('close'), false, 'only once');
  clock.advance(10);
  assert.deepEqual(
    seen.events.map((e) => e.replace(/^\d+ /, '')),
    ['data last', 'closed reset'],
  );
  assert.equal(net.connections.length, 0, 'no longer live');
  await assert.rejects(c.write(Buffer.from('x')), /closed/);
});

test('simulated network: a graceful close sends its FIN after the queued bytes; abort drops them', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock, conditions: { latencyMs: 20 } });
  const c1 = await connected(net, clock);
  c1.attach(watch(clock).handlers);
  const raw1 = inner.connections[0] as MemoryConnection;
  const sent = c1.write(Buffer.from('bye'));
  c1.close();
  assert.equal(raw1.ended, undefined);
  clock.advance(20);
  await sent;
  assert.equal(raw1.text, 'bye');
  assert.equal(raw1.ended, 'close');

  const c2 = await connected(net, clock);
  c2.attach(watch(clock).handlers);
  const raw2 = inner.connections[1] as MemoryConnection;
  const lost = c2.write(Buffer.from('never'));
  c2.abort();
  await assert.rejects(lost, /aborted/);
  assert.equal(raw2.ended, 'abort');
  clock.advance(100);
  assert.equal(raw2.text, '');
});

test('simulated network: DNS failure, refused connects and an outage', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock });
  assert.equal(await net.resolve('example.test'), '192.0.2.1');
  net.set({ dnsFail: true });
  await assert.rejects(net.resolve('example.test'), (err: NetworkError) => err.code === 'not-found');
  assert.equal(await net.resolve('192.0.2.7'), '192.0.2.7', 'literals need no DNS');
  net.set({ dnsFail: false, refuseConnections: true });
  await assert.rejects(net.connectTcp({ host: '192.0.2.1', port: 80 }), (err: NetworkError) => err.code === 'refused');
  assert.equal(inner.connections.length, 0, 'the real network was never asked');
  net.set({ refuseConnections: false, down: true });
  assert.equal(net.available, false);
  await assert.rejects(net.connectTcp({ host: '192.0.2.1', port: 80 }), (err: NetworkError) => err.code === 'unreachable');
  await assert.rejects(net.resolve('example.test'), (err: NetworkError) => err.code === 'not-found');
  const udp = await net.bindUdp({ port: 0 });
  await udp.send(Buffer.from('lost'), { address: '192.0.2.1', port: 9 });
  assert.deepEqual((inner.udp[0] as MemoryUdp).sent, [], 'datagrams vanish');
  net.set({ down: false });
  await udp.send(Buffer.from('ok'), { address: '192.0.2.1', port: 9 });
  assert.deepEqual((inner.udp[0] as MemoryUdp).sent, ['ok']);
  assert.throws(() => net.set({ latencyMs: -1 }), /latencyMs/);
});

test('simulated network: an abort during the connect round trip drops the real connection', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock, conditions: { latencyMs: 100 } });
  const abort = new AbortController();
  const pending = net.connectTcp({ host: '192.0.2.1', port: 80, signal: abort.signal });
  clock.advance(100);
  await settle();
  assert.equal(inner.connections.length, 1, 'the SYN arrived');
  abort.abort();
  await assert.rejects(pending, (err: NetworkError) => err.code === 'aborted');
  assert.equal((inner.connections[0] as MemoryConnection).ended, 'abort');
});

test('simulated network: UDP datagrams take the latency both ways', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock, conditions: { latencyMs: 30 } });
  const udp = await net.bindUdp({ port: 0 });
  const got: string[] = [];
  udp.attach({ message: (data) => got.push(`${clock.now()} ${data.toString()}`) });
  const raw = inner.udp[0] as MemoryUdp;
  raw.handlers?.message(Buffer.from('in'), { address: '192.0.2.1', port: 9 });
  const out = udp.send(Buffer.from('out'), { address: '192.0.2.1', port: 9 });
  assert.deepEqual(got, []);
  assert.deepEqual(raw.sent, []);
  clock.advance(30);
  await out;
  assert.deepEqual(got, ['30 in']);
  assert.deepEqual(raw.sent, ['out']);
});

test('simulated network: holding delivery stops every connection (and its reading) until released', async () => {
  const clock = new FakeClock();
  const inner = new MemoryNetwork();
  const net = new SimulatedNetwork(inner, { clock });
  const a = await net.connectTcp({ host: '192.0.2.1', port: 1 });
  const seen = watch(clock);
  a.attach(seen.handlers);
  const rawA = inner.connections[0] as MemoryConnection;
  net.holdDelivery(true);
  assert.equal(rawA.paused, true);
  rawA.send('one');
  // A connection made while holding is held too.
  const b = await net.connectTcp({ host: '192.0.2.1', port: 2 });
  const seenB = watch(clock);
  b.attach(seenB.handlers);
  (inner.connections[1] as MemoryConnection).send('two');
  assert.deepEqual([...seen.events, ...seenB.events], []);
  // The module's own pause outlasts the hold.
  a.pause();
  net.holdDelivery(false);
  assert.deepEqual(seenB.events, ['0 data two']);
  assert.deepEqual(seen.events, []);
  assert.equal(rawA.paused, true);
  a.resume();
  assert.deepEqual(seen.events, ['0 data one']);
  assert.equal(rawA.paused, false);
  // Datagrams arriving while held are dropped.
  const udp = await net.bindUdp({ port: 0 });
  const got: string[] = [];
  udp.attach({ message: (d) => got.push(d.toString()) });
  net.holdDelivery(true);
  (inner.udp[0] as MemoryUdp).handlers?.message(Buffer.from('lost'), { address: '192.0.2.1', port: 9 });
  net.holdDelivery(false);
  (inner.udp[0] as MemoryUdp).handlers?.message(Buffer.from('kept'), { address: '192.0.2.1', port: 9 });
  assert.deepEqual(got, ['kept']);
});
