import type { Socket } from 'node:net';
import type { SerialPort } from 'serialport';
import type { HostPort } from '../support/transcript-runner.js';

/** The transcript runner's view of a TCP connection to the emulator. */
export function socketPort(socket: Socket): HostPort {
  return {
    write: (bytes) => void socket.write(bytes),
    onData(listener) {
      socket.on('data', listener);
      return () => socket.off('data', listener);
    },
  };
}

/** The transcript runner's view of a serial port (the emulator's PTY opened with serialport). */
export function serialHostPort(port: SerialPort): HostPort {
  return {
    write: (bytes) => void port.write(bytes),
    onData(listener) {
      port.on('data', listener);
      return () => port.off('data', listener);
    },
  };
}
