// The few socket calls Node has no API for (ICMP sockets, IP_TTL before a TCP connect), made
// through koffi (prebuilt FFI, no compile step), which is loaded only when a knock needs them.
import { isIP } from '../../shared/ip.js';
import { addressBytes } from '../../shared/address.js';

/** socket(2) and friends as plain functions: -1 and errno() on failure, as in C. */
export interface SocketCalls {
  platform: 'linux' | 'darwin';
  socket(domain: number, type: number, protocol: number): number;
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  bind(fd: number, address: Buffer): number;
  sendto(fd: number, data: Buffer, address: Buffer): number;
  /** recv(2) that never blocks: -1 with EAGAIN when nothing is there. */
  recvNow(fd: number, into: Buffer): number;
  close(fd: number): number;
  errno(): number;
  /** if_nametoindex(3): an interface's index, 0 when there is none by that name. */
  ifIndex?(name: string): number;
}

/** The numbers differ between Linux and macOS (BSD). */
export const CONSTANTS = {
  linux: { AF_INET6: 10, IP_TTL: 2, IPV6_UNICAST_HOPS: 16, MSG_DONTWAIT: 0x40, EACCES: 13, EPERM: 1, SOCK_CLOEXEC: 0o2000000 },
  darwin: { AF_INET6: 30, IP_TTL: 4, IPV6_UNICAST_HOPS: 4, MSG_DONTWAIT: 0x80, EACCES: 13, EPERM: 1, SOCK_CLOEXEC: 0 },
} as const;
export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const IPPROTO_IP = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;

export type Koffi = typeof import('koffi');
export type KoffiLoader = () => Promise<Koffi>;

const importKoffi: KoffiLoader = async () => {
  const module = (await import('koffi')) as unknown as { default?: Koffi } & Koffi;
  return module.default ?? module;
};

/** koffi itself, or undefined where it cannot be loaded (not installed, no prebuilt binary). */
export async function loadKoffi(loader: KoffiLoader = importKoffi): Promise<Koffi | undefined> {
  try {
    return await loader();
  } catch {
    return undefined;
  }
}

const LIBC: Record<string, string> = { linux: 'libc.so.6', darwin: 'libSystem.B.dylib' };

let cached: Promise<SocketCalls | undefined> | undefined;

/** The POSIX socket calls on Linux and macOS; undefined elsewhere or without koffi. */
export function posixSocketCalls(platform: NodeJS.Platform, loader?: KoffiLoader): Promise<SocketCalls | undefined> {
  if (platform !== 'linux' && platform !== 'darwin') return Promise.resolve(undefined);
  const load = async (): Promise<SocketCalls | undefined> => {
    const koffi = await loadKoffi(loader);
    if (!koffi) return undefined;
    try {
      const lib = koffi.load(LIBC[platform]!);
      const socket = lib.func('int socket(int, int, int)');
      const setsockopt = lib.func('int setsockopt(int, int, int, _In_ int *, uint32_t)');
      const bind = lib.func('int bind(int, const void *, uint32_t)');
      const sendto = lib.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)');
      const recv = lib.func('intptr_t recv(int, _Out_ void *, size_t, int)');
      const close = lib.func('int close(int)');
      const ifNameToIndex = lib.func('unsigned int if_nametoindex(const char *)');
      const c = CONSTANTS[platform];
      return {
        platform,
        socket: (domain, type, protocol) => socket(domain, type, protocol) as number,
        setsockoptInt: (fd, level, name, value) => setsockopt(fd, level, name, [value], 4) as number,
        bind: (fd, address) => bind(fd, address, address.length) as number,
        sendto: (fd, data, address) => Number(sendto(fd, data, data.length, 0, address, address.length)),
        recvNow: (fd, into) => Number(recv(fd, into, into.length, c.MSG_DONTWAIT)),
        close: (fd) => close(fd) as number,
        errno: () => koffi.errno(),
        ifIndex: (name) => Number(ifNameToIndex(name)),
      };
    } catch {
      return undefined;
    }
  };
  // Without an injected loader (tests), load once per process.
  if (loader) return load();
  cached ??= load();
  return cached;
}

/**
 * A struct sockaddr_in / sockaddr_in6 for `address`:`port` (macOS has sin_len first); an IPv6
 * one carries `scopeId`, the index of the interface a link-local address is reached through.
 */
export function sockaddr(platform: 'linux' | 'darwin', address: string, port = 0, scopeId = 0): Buffer {
  const bytes = addressBytes(address);
  const v6 = bytes.length === 16;
  const out = Buffer.alloc(v6 ? 28 : 16);
  const family = v6 ? CONSTANTS[platform].AF_INET6 : AF_INET;
  if (platform === 'darwin') {
    out.writeUInt8(out.length, 0);
    out.writeUInt8(family, 1);
  } else {
    // sa_family_t in host order; every Linux Node runs on is little-endian.
    out.writeUInt16LE(family, 0);
  }
  out.writeUInt16BE(port, 2);
  bytes.copy(out, v6 ? 8 : 4);
  // sin6_scope_id, in host order (little-endian wherever this runs).
  if (v6) out.writeUInt32LE(scopeId, 24);
  return out;
}
