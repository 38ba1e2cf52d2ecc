/**
 * The driver's transports behind one `device` string:
 *   `/dev/ttyUSB2`, `/dev/pts/3`, `COM5`   serial port (any baud, default 115200)
 *   `tcp://127.0.0.1:7070`                the emulator's TCP port, or ser2net
 * Each resolves to a Duplex byte stream. Tests use `createMemoryPair()` (memory.ts) directly.
 */
import type { Duplex } from 'node:stream';
import { openSerialTransport, type SerialTransportOptions } from './serial.js';
import { openTcpTransport, type TcpTransportOptions } from './tcp.js';

export type Transport = Duplex;

export interface TransportOptions extends SerialTransportOptions, TcpTransportOptions {}

export function transportKind(device: string): 'tcp' | 'serial' {
  if (/^tcp:\/\//i.test(device)) return 'tcp';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(device)) throw new TypeError(`unsupported device ${device} (use a serial path or tcp://host:port)`);
  if (device.trim() === '') throw new TypeError('empty device');
  return 'serial';
}

export function openTransport(device: string, options: TransportOptions = {}): Promise<Transport> {
  return transportKind(device) === 'tcp' ? openTcpTransport(device, options) : openSerialTransport(device, options);
}
