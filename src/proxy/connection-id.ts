// Which connection the proxy handed to ssh: its 4-tuple and socket inode, taken while the proxy
// still holds the socket, and checked again when the watchdog reads it from its pipe. Apart from
// the watching (connection-watch.ts), so that the proxy loads none of the polling code.
import { fstatSync } from 'node:fs';
import type net from 'node:net';

export interface ConnectionId {
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  /** The socket's inode (Linux): tells our connection from a later one with the same 4-tuple. */
  inode?: number;
}

/** The 4-tuple and inode of a connected socket, while we still hold it. */
export function connectionIdOf(socket: net.Socket, fstat: (fd: number) => { ino: number } = fstatSync): ConnectionId {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (!localAddress || !localPort || !remoteAddress || !remotePort) throw new Error('the socket is not connected');
  const id: ConnectionId = { local: localAddress, localPort, remote: remoteAddress, remotePort };
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd === 'number' && fd >= 0) {
    try {
      id.inode = fstat(fd).ino;
    } catch {
      // no inode to check: the 4-tuple alone
    }
  }
  return id;
}

/** Checks the shape of an id that came down the watchdog's pipe. */
export function isConnectionId(value: unknown): value is ConnectionId {
  const v = value as Partial<ConnectionId> | null;
  const port = (p: unknown) => Number.isInteger(p) && (p as number) > 0 && (p as number) < 65536;
  return (
    !!v && typeof v.local === 'string' && typeof v.remote === 'string' && port(v.localPort) && port(v.remotePort) &&
    (v.inode === undefined || (Number.isInteger(v.inode) && v.inode > 0))
  );
}
