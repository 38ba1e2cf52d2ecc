/**
 * Serial transport: a real module's AT port (`/dev/ttyUSB2`, `/dev/ttyACM0`, `COM5`) or a PTY
 * (`/dev/pts/N`, e.g. the emulator's). 8N1, no flow control, any baud (default 115200, spec §1.1).
 */
import type { Duplex } from 'node:stream';

export interface SerialTransportOptions {
  baudRate?: number;
}

export const DEFAULT_BAUD_RATE = 115_200;

export async function openSerialTransport(path: string, options: SerialTransportOptions = {}): Promise<Duplex> {
  // Loaded on demand: the native binding is only needed when a serial device is actually used.
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({
    path,
    baudRate: options.baudRate ?? DEFAULT_BAUD_RATE,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    rtscts: false,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => {
    port.open((error) => (error ? reject(new Error(`open ${path}: ${error.message}`, { cause: error })) : resolve()));
  });
  return port;
}
