// When did a connection that ssh now owns end? Not when an ssh pid exits (`ssh -f` and
// ControlPersist move the connection to another process), and not by holding a dup of it (that
// keeps it open after ssh is killed): from the kernel's table of connections, polled.
// Linux: /proc/net/tcp{,6}, by 4-tuple and socket inode. macOS: netstat, by 4-tuple and state.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from '../shared/ip.js';
import os from 'node:os';
import { addressBytes } from '../shared/address.js';
import type { ConnectionId } from './connection-id.js';

// --- Linux -------------------------------------------------------------------------------

/** An address and port as /proc/net/tcp{,6} print them: hex, each 32-bit word in host order. */
export function procAddress(address: string, port: number, littleEndian = os.endianness() === 'LE'): string {
  const bytes = [...addressBytes(address)];
  const words: string[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    const word = bytes.slice(i, i + 4);
    if (littleEndian) word.reverse();
    words.push(word.map((b) => b.toString(16).padStart(2, '0')).join(''));
  }
  return `${words.join('').toUpperCase()}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Whether the connection still belongs to a process: its line in /proc/net/tcp{,6} is there with
 * its inode (0 once no process holds it: ssh closed it or died, the kernel finishes alone).
 */
export function aliveInProcNet(id: ConnectionId, tables: readonly string[], littleEndian = os.endianness() === 'LE'): boolean {
  const local = procAddress(id.local, id.localPort, littleEndian);
  const remote = procAddress(id.remote, id.remotePort, littleEndian);
  // An IPv4 connection made on an IPv6 socket is listed in tcp6 as ::ffff:a.b.c.d.
  const mapped = isIPv4(id.local)
    ? [procAddress(`::ffff:${id.local}`, id.localPort, littleEndian), procAddress(`::ffff:${id.remote}`, id.remotePort, littleEndian)]
    : undefined;
  for (const table of tables) {
    for (const line of table.split('\n')) {
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [l, r, inode] = [f[1], f[2], Number(f[9])];
      const ours = (l === local && r === remote) || (mapped !== undefined && l === mapped[0] && r === mapped[1]);
      if (!ours || inode === 0) continue;
      if (id.inode === undefined || inode === id.inode) return true;
    }
  }
  return false;
}

// --- macOS -------------------------------------------------------------------------------

/** States in which the process has closed its socket (or the kernel has dropped it). */
const CLOSED_STATES = new Set(['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSING', 'LAST_ACK', 'CLOSED']);

/**
 * Whether `netstat -n -p tcp` (macOS) still lists the connection in a state a process holds.
 * Its addresses are `a.b.c.d.port` and `2001:db8::1.port` (maybe with %scope).
 */
export function aliveInNetstat(id: ConnectionId, text: string): boolean {
  const want = (address: string, port: number) => `${canonical(address)}.${port}`;
  const local = want(id.local, id.localPort);
  const remote = want(id.remote, id.remotePort);
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^tcp/.test(f[0]!)) continue;
    const split = (s: string) => {
      const i = s.lastIndexOf('.');
      return `${canonical(s.slice(0, i))}.${s.slice(i + 1)}`;
    };
    if (split(f[3]!) === local && split(f[4]!) === remote && !CLOSED_STATES.has(f[5]!)) return true;
  }
  return false;
}

/** One spelling per address, so that netstat's and Node's forms compare. */
function canonical(address: string): string {
  const plain = address.replace(/%.*$/, '');
  // netstat's '*' and other non-addresses compare as written.
  if (isIPv4(plain) || !isIPv6(plain)) return plain;
  return [...addressBytes(plain)].join(',');
}

// --- polling -----------------------------------------------------------------------------

export interface WatchDeps {
  platform?: NodeJS.Platform;
  readTable?: (file: string) => Promise<string>;
  netstat?: () => Promise<string>;
  sleep?: (ms: number) => Promise<void>;
}

/** How often the table is read: the close knock follows the end within about this long. */
export const POLL_MS: Partial<Record<NodeJS.Platform, number>> = { linux: 500, darwin: 1000 };

/** Resolves once the connection has ended (or can no longer be seen, which means the same). */
export async function waitForConnectionEnd(id: ConnectionId, deps: WatchDeps = {}): Promise<void> {
  const platform = deps.platform ?? process.platform;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const alive = connectionProbe(id, platform, deps);
  const every = POLL_MS[platform] ?? 1000;
  while (await alive()) await sleep(every);
}

function connectionProbe(id: ConnectionId, platform: NodeJS.Platform, deps: WatchDeps): () => Promise<boolean> {
  if (platform === 'darwin') {
    const netstat = deps.netstat ?? runNetstat;
    return async () => aliveInNetstat(id, await netstat().catch(() => ''));
  }
  const read = deps.readTable ?? ((file: string) => readFile(file, 'utf8'));
  return async () => {
    const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => read(f).catch(() => '')));
    return aliveInProcNet(id, tables);
  };
}

function runNetstat(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/usr/sbin/netstat', ['-n', '-p', 'tcp'], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}
