import type { LinkReceiver, LinkType } from '../links.js';
import type { CommandModule } from './context.js';

/**
 * AT+CIPOPEN's request and the open itself, shared by its command-mode form (socket.ts) and its
 * transparent form (datamode.ts).
 */

/** A parsed AT+CIPOPEN write command. */
export interface OpenRequest {
  readonly index: number;
  readonly type: LinkType;
  /** The peer (TCP always; UDP only for a fixed peer). */
  readonly host?: string;
  readonly port?: number;
  /** 0 = any. */
  readonly localPort: number;
}

/**
 * Open what `request` describes; resolves to the `<err>` (undefined after a reboot). With a
 * `receiver` the link is transparent from the start (transparent mode).
 */
export function openLink(modem: CommandModule, request: OpenRequest, receiver?: LinkReceiver): Promise<number | undefined> {
  const service = modem.sockets;
  if (request.type === 'TCP') {
    return service.openTcp(request.index, {
      host: request.host as string,
      port: request.port as number,
      ...(request.localPort ? { localPort: request.localPort } : {}),
      ...(receiver !== undefined ? { receiver } : {}),
    });
  }
  const peer = request.host !== undefined ? { host: request.host, port: request.port as number } : undefined;
  return service.openUdp(request.index, request.type, request.localPort, peer, receiver);
}
