/**
 * What the emulator needs from a network. Handlers use only this; the real backend (Node's
 * net/dgram/dns) and simulated or faulty ones implement it.
 */
export interface Network {
  /** Resolve a host name to an IPv4 address (static host table first). Rejects when it cannot. */
  resolve(name: string): Promise<string>;
}
