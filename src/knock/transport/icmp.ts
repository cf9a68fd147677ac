// An ICMP knock: one echo request of the asked payload size, from our own ICMP socket where the
// OS gives one (sent by a synchronous call at the deadline), else from the system ping.
import os from 'node:os';
import { armPing, ICMP_SETTLE_MS } from './icmp-ping.js';
import { openIcmpSocket, type IcmpSocket } from './icmp-socket.js';
import { openWindowsEcho, windowsIcmpCalls, type WinEcho, type WinIcmpCalls } from './icmp-windows.js';
import { loadKoffi, posixSocketCalls, type KoffiLoader, type SocketCalls } from './libc.js';
import type { Armed, Destination, Outcome } from './transport.js';
import { systemTimers, type Timers } from '../clock.js';

const REPLY_POLL_MS = 2;

export interface IcmpOptions {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** Our pid: the echo's identifier (ping's is its own). */
  pid: number;
  /** Replaceable in tests: the socket calls (undefined: none to be had). */
  socketCalls?: () => Promise<SocketCalls | undefined>;
  windowsCalls?: () => Promise<WinIcmpCalls | undefined>;
  koffiLoader?: KoffiLoader;
  /** The reply poll and its end after ICMP_SETTLE_MS (tests move a fake clock). */
  timers?: Timers;
}

/**
 * Whether ICMP knocks to `family` would go out through a spawned ping, whose command line
 * (`-s SIZE`: the knock itself) any local user can read with ps while it runs: only where no
 * ICMP socket of our own can be opened (it is opened and closed again to find out).
 */
export async function icmpSizeShownInPs(family: 4 | 6, options: IcmpOptions): Promise<boolean> {
  const echo = await openEcho(0, { address: family === 6 ? '::1' : '127.0.0.1', family }, options);
  echo?.close();
  return echo === undefined;
}

export const PING_ARGV_WARNING = "ICMP knocks are sent by the system ping, whose command line shows each knock's size to every local user (ps) while it runs";

export async function armIcmp(size: number, to: Destination, options: IcmpOptions): Promise<Armed> {
  const echo = await openEcho(size, to, options);
  // No socket (no koffi, or not allowed: Linux outside ping_group_range and not root): ping.
  return echo ? armEcho(echo, options.timers ?? systemTimers) : armPing(size, to, options.platform, options.env);
}

async function openEcho(size: number, to: Destination, options: IcmpOptions): Promise<IcmpSocket | WinEcho | undefined> {
  try {
    if (options.platform === 'win32') {
      const calls = await (options.windowsCalls ?? (async () => {
        const koffi = await loadKoffi(options.koffiLoader);
        return koffi ? windowsIcmpCalls(koffi) : undefined;
      }))();
      return calls ? openWindowsEcho(calls, to, size) : undefined;
    }
    const calls = await (options.socketCalls ?? (() => posixSocketCalls(options.platform, options.koffiLoader)))();
    return calls ? openIcmpSocket(calls, to, size, options.pid) : undefined;
  } catch {
    return undefined;
  }
}

function armEcho(echo: IcmpSocket | WinEcho, timers: Timers): Armed {
  return {
    cancel: () => echo.close(),
    fire() {
      const error = echo.send();
      if (error !== undefined) {
        echo.close();
        // The kernel would not send it (no route, a local firewall): the knock did not leave.
        const failed: Outcome = { result: 'not-sent', detail: errnoName(error) };
        return { sent: Promise.resolve(), outcome: Promise.resolve(failed), release() {} };
      }
      let cancel: (() => void) | undefined;
      const detail = echo.kind === 'IcmpSendEcho2' ? 'from IcmpSendEcho2' : `from an ICMP ${echo.kind} socket`;
      const outcome = new Promise<Outcome>((resolve) => {
        const started = timers.nowMs();
        const poll = () => {
          if (echo.replied()) {
            echo.close();
            resolve({ result: 'reply', detail });
          } else if (timers.nowMs() - started >= ICMP_SETTLE_MS) {
            echo.close();
            resolve({ result: 'no-answer', detail });
          } else cancel = timers.setTimer(poll, REPLY_POLL_MS);
        };
        cancel = timers.setTimer(poll, REPLY_POLL_MS);
      });
      return {
        // sendto() has returned: the echo is in the kernel's hands.
        sent: Promise.resolve(),
        outcome,
        release() {
          cancel?.();
          echo.close();
        },
      };
    },
  };
}

/** ENETUNREACH for 101 (Linux), as Node names errors; the number where the name is unknown. */
export function errnoName(errno: number): string {
  const name = Object.entries(os.constants.errno).find(([, value]) => value === errno)?.[0];
  return name ?? `errno ${errno}`;
}
