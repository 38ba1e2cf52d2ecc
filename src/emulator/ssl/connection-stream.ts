import { Duplex } from 'node:stream';
import type { TcpCloseCause, TcpConnection } from '../network/types.js';
import { toError } from '../../common/errors.js';

/**
 * A `TcpConnection` of the emulator's Network backend as a Node Duplex, so `tls.connect({ socket })`
 * can run over it — and so everything the backend does (the allow-list, simulated latency,
 * bandwidth and loss) applies to the TLS bytes as to any other.
 *
 * Back-pressure both ways: a `write` completes when the backend says the bytes left the process;
 * when the reader stops taking data (`push` returns false) the connection is paused until `_read`.
 * Ending the writable side closes the connection gracefully (FIN after queued bytes); destroying
 * the stream aborts it (RST). The peer's FIN ends the readable side; a reset or failure destroys
 * the stream with an `ECONNRESET`-coded error.
 */
export function connectionStream(connection: TcpConnection): Duplex {
  let finished = false;
  const stream = new Duplex({
    read() {
      connection.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      connection.write(chunk).then(
        () => callback(),
        (err: unknown) => callback(toError(err)),
      );
    },
    final(callback) {
      finished = true;
      connection.close();
      callback();
    },
    destroy(err, callback) {
      if (!finished) connection.abort();
      finished = true;
      callback(err);
    },
  });
  connection.attach({
    data(chunk) {
      if (!stream.push(chunk)) connection.pause();
    },
    closed(cause: TcpCloseCause) {
      finished = true; // the connection is gone: nothing left to close
      if (cause === 'remote') stream.push(null);
      else stream.destroy(Object.assign(new Error(`connection ${cause === 'reset' ? 'reset by peer' : 'failed'}`), { code: 'ECONNRESET' }));
    },
  });
  return stream;
}
