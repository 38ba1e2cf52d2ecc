import type { AddressInfo, Server } from 'node:net';

/**
 * Start `server` (a net or http server) listening on `host:port` and resolve with the address it
 * got (port 0: the free port picked); a bind error (EADDRINUSE, EACCES, …) rejects instead. Errors
 * after that are the caller's to handle (`server.on('error')`).
 */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
