// An ICMP knock on Windows: IcmpSendEcho2Ex / Icmp6SendEcho2 (iphlpapi), which any user may
// call; given an event they return at once and the reply is picked up later.
import { addressBytes } from '../../shared/address.js';
import type { Koffi } from './libc.js';
import type { Destination } from './transport.js';

/** What knock needs of iphlpapi and kernel32, as plain functions (faked in tests). */
export interface WinIcmpCalls {
  createFile(family: 4 | 6): bigint | number | null;
  createEvent(): unknown;
  /** IcmpSendEcho2Ex (IPv4) or Icmp6SendEcho2: returns at once (ERROR_IO_PENDING). */
  sendEcho(request: WinEchoRequest): number;
  lastError(): number;
  /** True once the event is set (WaitForSingleObject with no wait). */
  signalled(event: unknown): boolean;
  parseReplies(reply: Buffer): number;
  closeIcmp(handle: unknown): void;
  closeEvent(event: unknown): void;
}

export interface WinEchoRequest {
  family: 4 | 6;
  handle: unknown;
  event: unknown;
  /** IPv4: the address as IPAddr (network order in memory); IPv6: a sockaddr_in6. */
  source: Buffer | number;
  destination: Buffer | number;
  data: Buffer;
  /** IP_OPTION_INFORMATION: the TTL in its first byte. */
  options: Buffer;
  reply: Buffer;
  timeoutMs: number;
}

export const ERROR_IO_PENDING = 997;
const AF_INET6_WINDOWS = 23;
/** Windows ping's TTL when none is asked for. */
const DEFAULT_TTL = 128;

/** Echo data as Windows ping sends it: the alphabet a to w, over and over. */
export function windowsPingPayload(size: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = 0x61 + (i % 23);
  return data;
}

/** IPAddr: the four bytes as a DWORD read in memory order (x86 and ARM are little-endian). */
export function ipAddr(address: string): number {
  return addressBytes(address).readUInt32LE(0);
}

export function winSockaddrIn6(address: string): Buffer {
  const out = Buffer.alloc(28);
  out.writeUInt16LE(AF_INET6_WINDOWS, 0);
  addressBytes(address).copy(out, 8);
  return out;
}

export interface WinEcho {
  kind: 'IcmpSendEcho2';
  send(): number | undefined;
  replied(): boolean;
  close(): void;
}

/** Opens the ICMP handle and builds the request ahead of the deadline; send() queues it. */
export function openWindowsEcho(calls: WinIcmpCalls, to: Destination, size: number, timeoutMs = 1000): WinEcho {
  const handle = calls.createFile(to.family);
  // INVALID_HANDLE_VALUE is -1 as a pointer.
  if (handle === null || handle === -1 || handle === 0xffffffffffffffffn || handle === 0) throw new Error(`IcmpCreateFile failed (error ${calls.lastError()})`);
  const event = calls.createEvent();
  const options = Buffer.alloc(16);
  options.writeUInt8(to.ttl ?? DEFAULT_TTL, 0);
  const request: WinEchoRequest = {
    family: to.family,
    handle,
    event,
    source: to.family === 6 ? winSockaddrIn6(to.source ?? '::') : ipAddr(to.source ?? '0.0.0.0'),
    destination: to.family === 6 ? winSockaddrIn6(to.address) : ipAddr(to.address),
    data: windowsPingPayload(size),
    options,
    // ICMP_ECHO_REPLY (or ICMPV6_ECHO_REPLY) + the echoed data + room for an ICMP error.
    reply: Buffer.alloc(size + 64 + 8),
    timeoutMs,
  };
  let sent = false;
  let closed = false;
  return {
    kind: 'IcmpSendEcho2',
    send() {
      const result = calls.sendEcho(request);
      const error = result === 0 ? calls.lastError() : 0;
      // 0 with ERROR_IO_PENDING is "queued" (with an event, the call never waits).
      if (result === 0 && error !== ERROR_IO_PENDING && error !== 0) return error;
      sent = true;
      return undefined;
    },
    replied() {
      return sent && !closed && calls.signalled(event) && calls.parseReplies(request.reply) > 0;
    },
    close() {
      if (closed) return;
      closed = true;
      // Closing the handle cancels a pending request; the buffers stay referenced until then.
      calls.closeIcmp(handle);
      calls.closeEvent(event);
    },
  };
}

/** The real calls through koffi; only loaded on Windows. */
export function windowsIcmpCalls(koffi: Koffi): WinIcmpCalls {
  const iphlpapi = koffi.load('iphlpapi.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const IcmpCreateFile = iphlpapi.func('void * __stdcall IcmpCreateFile()');
  const Icmp6CreateFile = iphlpapi.func('void * __stdcall Icmp6CreateFile()');
  const IcmpSendEcho2Ex = iphlpapi.func(
    'uint32_t __stdcall IcmpSendEcho2Ex(void *, void *, void *, void *, uint32_t, uint32_t, void *, uint16_t, void *, void *, uint32_t, uint32_t)',
  );
  const Icmp6SendEcho2 = iphlpapi.func(
    'uint32_t __stdcall Icmp6SendEcho2(void *, void *, void *, void *, void *, void *, void *, uint16_t, void *, void *, uint32_t, uint32_t)',
  );
  const IcmpParseReplies = iphlpapi.func('uint32_t __stdcall IcmpParseReplies(void *, uint32_t)');
  const IcmpCloseHandle = iphlpapi.func('int __stdcall IcmpCloseHandle(void *)');
  const CreateEventW = kernel32.func('void * __stdcall CreateEventW(void *, int, int, void *)');
  const WaitForSingleObject = kernel32.func('uint32_t __stdcall WaitForSingleObject(void *, uint32_t)');
  const CloseHandle = kernel32.func('int __stdcall CloseHandle(void *)');
  const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
  return {
    createFile: (family) => (family === 6 ? Icmp6CreateFile() : IcmpCreateFile()) as bigint | number | null,
    createEvent: () => CreateEventW(null, 1, 0, null),
    sendEcho: (r) =>
      (r.family === 6
        ? Icmp6SendEcho2(r.handle, r.event, null, null, r.source, r.destination, r.data, r.data.length, r.options, r.reply, r.reply.length, r.timeoutMs)
        : IcmpSendEcho2Ex(r.handle, r.event, null, null, r.source, r.destination, r.data, r.data.length, r.options, r.reply, r.reply.length, r.timeoutMs)) as number,
    lastError: () => GetLastError() as number,
    signalled: (event) => WaitForSingleObject(event, 0) === 0,
    parseReplies: (reply) => IcmpParseReplies(reply, reply.length) as number,
    closeIcmp: (handle) => void IcmpCloseHandle(handle),
    closeEvent: (event) => void CloseHandle(event),
  };
}
