import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * The sockets a process holds, from Linux's /proc: /proc/<pid>/fd names each socket by inode, and
 * /proc/net/{tcp,tcp6,udp,udp6} give every socket's local address and state by inode.
 */
export interface ProcSocket {
  readonly proto: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  readonly address: string;
  readonly port: number;
  /** Kernel state; for TCP 0A is LISTEN (include/net/tcp_states.h). */
  readonly state: string;
  readonly inode: number;
}

export const TCP_LISTEN = '0A';

/** Whether this machine has the /proc files (Linux). */
export function procAvailable(): boolean {
  try {
    readFileSync('/proc/net/tcp', 'latin1');
    return true;
  } catch {
    return false;
  }
}

/** Socket inodes among the open file descriptors of `pid`. */
export function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match !== null) inodes.add(Number(match[1]));
  }
  return inodes;
}

/** The IPv4/IPv6 sockets `pid` holds. */
export function socketsOf(pid: number): ProcSocket[] {
  const inodes = socketInodes(pid);
  const protos = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
  return protos.flatMap((proto) => parseProcNet(proto, readFileSync(`/proc/${pid}/net/${proto}`, 'latin1')).filter((s) => inodes.has(s.inode)));
}

/** One /proc/net table (its header line first). */
export function parseProcNet(proto: ProcSocket['proto'], text: string, littleEndian = endianness() === 'LE'): ProcSocket[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 10)
    .map((fields) => {
      const [hexAddress, hexPort] = (fields[1] as string).split(':') as [string, string];
      return {
        proto,
        address: decodeAddress(hexAddress, littleEndian),
        port: parseInt(hexPort, 16),
        state: fields[3] as string,
        inode: Number(fields[9]),
      };
    });
}

/** The kernel prints addresses as 32-bit words in host byte order. */
function decodeAddress(hex: string, littleEndian: boolean): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = (hex.slice(word, word + 8).match(/../g) ?? []).map((b) => parseInt(b, 16));
    bytes.push(...(littleEndian ? wordBytes.reverse() : wordBytes));
  }
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v4)) return v4.startsWith('127.');
  return address === '::1';
}
