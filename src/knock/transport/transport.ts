// Puts exactly one packet on the wire per knock: one SYN, one datagram, or one echo request.
import { accessSync, constants, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { RuntimeError, reasonOf } from '../../shared/errors.js';
import type { Knock } from '../tokens.js';

export type KnockResult = 'refused' | 'accepted' | 'no-answer' | 'reply' | 'sent' | 'unreachable';

export interface Outcome {
  result: KnockResult;
  detail?: string;
}

export interface Shot {
  /** Resolves once the packet has left (the syscall is done): the next knock may go. */
  sent: Promise<void>;
  /** What came back, if anything; always resolves. */
  outcome: Promise<Outcome>;
}

/** A knock made ready before the sequence starts, so that firing it costs microseconds. */
export interface Armed {
  fire(): Shot;
  cancel(): void;
}

export interface Destination {
  address: string;
  family: 4 | 6;
}

export interface Transport {
  arm(knock: Knock, to: Destination): Promise<Armed>;
}

/**
 * How long a TCP knock waits for a RST or SYN-ACK before closing. Closing a socket still in
 * SYN_SENT is silent; it must happen well before the kernel's first retransmit (~1 s).
 */
export const TCP_SETTLE_MS = 150;
/** How long an ICMP knock waits for its echo reply before ping is stopped. */
export const ICMP_SETTLE_MS = 150;

export interface SystemTransportOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

export function systemTransport(options: SystemTransportOptions = {}): Transport {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  return {
    async arm(knock, to) {
      switch (knock.protocol) {
        case 'tcp':
          if (platform === 'linux') await warmUpTcp();
          return armTcp(knock.port, to);
        case 'udp':
          return armUdp(knock.port, to);
        case 'icmp':
          return armIcmp(knock.size, to, platform, env);
      }
    },
  };
}

let warmedUp: Promise<void> | undefined;

/**
 * A process's first TCP connect runs cold code (~1.5 ms on Linux) between net.connect() and
 * the SYN, which made the first knock leave late. Run that code once before the sequence with
 * a connect to 255.255.255.255, which Linux refuses at once (ENETUNREACH) without sending
 * anything. Linux only: that is where "nothing is sent" has been checked.
 */
function warmUpTcp(): Promise<void> {
  warmedUp ??= new Promise<void>((resolve) => {
    const socket = new net.Socket();
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 50);
    socket.once('error', done).once('connect', done);
    socket.connect({ host: '255.255.255.255', port: 9, family: 4, autoSelectFamily: false });
  });
  return warmedUp;
}

function armTcp(port: number, to: Destination): Armed {
  // Made ahead: the process's first net.Socket costs milliseconds (lazy initialisation), which
  // would otherwise make the first TCP knock leave late.
  const socket = new net.Socket();
  return {
    cancel: () => socket.destroy(),
    fire() {
      socket.connect({ host: to.address, port, family: to.family, autoSelectFamily: false });
      // net.connect issues connect(2) on the next tick; once that tick has run, the SYN is out.
      const sent = new Promise<void>((resolve) => process.nextTick(resolve));
      const outcome = new Promise<Outcome>((resolve) => {
        const done = (outcome: Outcome) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(outcome);
        };
        const timer = setTimeout(() => done({ result: 'no-answer' }), TCP_SETTLE_MS);
        socket.once('connect', () => done({ result: 'accepted', detail: 'the port accepted the connection; a FIN followed the SYN' }));
        socket.once('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'ECONNREFUSED') done({ result: 'refused' });
          else done({ result: 'unreachable', detail: error.code ?? error.message });
        });
      });
      return { sent, outcome };
    },
  };
}

async function armUdp(port: number, to: Destination): Promise<Armed> {
  // An unconnected socket of the address's family: ICMP port-unreachable never surfaces.
  // Bound ahead of time, so that send() is not queued behind an implicit bind.
  // Loaded on first use: most runs need no UDP, and every start-up pays for what it imports.
  const { default: dgram } = await import('node:dgram');
  const socket = dgram.createSocket(to.family === 6 ? 'udp6' : 'udp4');
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    throw new RuntimeError(`cannot open a UDP socket: ${reasonOf(error)}`);
  });
  return {
    cancel: () => socket.close(),
    fire() {
      let outcome!: Promise<Outcome>;
      const sent = new Promise<void>((resolve) => {
        // knock(1) sends a one-byte 0x00 payload. Close only in the callback: closing in the
        // same tick drops the datagram.
        outcome = new Promise<Outcome>((settle) => {
          socket.send(Buffer.of(0), port, to.address, (error) => {
            resolve();
            socket.close();
            settle(error ? { result: 'unreachable', detail: reasonOf(error) } : { result: 'sent' });
          });
        });
      });
      return { sent, outcome };
    },
  };
}

/** The system ping's arguments for one echo of `size` payload bytes. */
export function pingCommand(platform: NodeJS.Platform, to: Destination, size: number): { command: string; args: string[] } {
  switch (platform) {
    case 'win32':
      return { command: 'ping', args: ['-n', '1', '-l', String(size), '-w', '1000', ...(to.family === 6 ? ['-6'] : ['-4']), to.address] };
    case 'darwin':
    case 'freebsd':
    case 'openbsd':
      return to.family === 6
        ? { command: 'ping6', args: ['-c', '1', '-s', String(size), to.address] }
        : { command: 'ping', args: ['-n', '-c', '1', '-s', String(size), '-t', '1', to.address] };
    default:
      return { command: 'ping', args: ['-n', '-c', '1', '-s', String(size), '-W', '1', ...(to.family === 6 ? ['-6'] : ['-4']), to.address] };
  }
}

export function findExecutable(command: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext);
      try {
        accessSync(candidate, platform === 'win32' ? constants.F_OK : constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * Linux counts every echo request a namespace sends (raw or ping socket) in
 * /proc/net/snmp{,6}: the only way to know, without capturing, that ping's packet left.
 */
export function readEchoCounter(family: 4 | 6): number | undefined {
  try {
    if (family === 4) {
      const lines = readFileSync('/proc/self/net/snmp', 'latin1').split('\n').filter((l) => l.startsWith('Icmp:'));
      const names = lines[0]?.split(/\s+/) ?? [];
      const values = lines[1]?.split(/\s+/) ?? [];
      const i = names.indexOf('OutEchos');
      return i > 0 && values[i] !== undefined ? Number(values[i]) : undefined;
    }
    const m = /^Icmp6OutEchos\s+(\d+)/m.exec(readFileSync('/proc/self/net/snmp6', 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Without the Linux counter, assume ping has sent its echo this long after it started. */
const PING_STARTUP_MS = 25;

async function armIcmp(size: number, to: Destination, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Promise<Armed> {
  const { command, args } = pingCommand(platform, to, size);
  const executable = findExecutable(command, env, platform);
  if (!executable) throw new RuntimeError(`cannot send an ICMP knock: '${command}' is not on PATH`);
  // Loaded on first use, like dgram: child_process is among the costlier built-ins to load.
  const { spawn } = await import('node:child_process');
  return {
    cancel() {},
    fire() {
      const before = platform === 'linux' ? readEchoCounter(to.family) : undefined;
      const child = spawn(executable, args, { stdio: 'ignore', windowsHide: true });
      let exited = false;
      let spawnError: Error | undefined;
      const exit = new Promise<number | null>((resolve) => {
        child.once('exit', (code) => {
          exited = true;
          resolve(code);
        });
        child.once('error', (error) => {
          exited = true;
          spawnError = error;
          resolve(null);
        });
      });
      const sent = new Promise<void>((resolve) => {
        const started = process.hrtime.bigint();
        const poll = () => {
          const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
          const counted = before !== undefined && (readEchoCounter(to.family) ?? before) > before;
          if (exited || counted || elapsedMs > (before === undefined ? PING_STARTUP_MS : 250)) resolve();
          else setImmediate(poll);
        };
        setImmediate(poll);
      });
      const outcome = (async (): Promise<Outcome> => {
        await sent;
        const timer = setTimeout(() => child.kill(), ICMP_SETTLE_MS);
        const code = await exit;
        clearTimeout(timer);
        if (spawnError) return { result: 'unreachable', detail: `cannot run ${command}: ${reasonOf(spawnError)}` };
        return code === 0 ? { result: 'reply' } : { result: 'no-answer' };
      })();
      return { sent, outcome };
    },
  };
}
