// `knock serve` as a child process for end-to-end tests: its stdout lines as they come, a way
// to wait for one, and an end by signal with the exit status.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { KNOCK_BIN, ROOT } from './run-knock.js';

export interface ServeProcess {
  child: ChildProcess;
  lines: string[];
  stderr(): string;
  /** JSON events seen so far (for --json runs). */
  events(): Record<string, unknown>[];
  /** Resolves with the first line (parsed when JSON) matching, waiting for more output. */
  waitFor(match: (event: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and resolves with the exit code and signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

const parse = (line: string): Record<string, unknown> => {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { text: line };
  }
};

export function spawnServe(args: string[], options: { env?: NodeJS.ProcessEnv; netns?: string } = {}): ServeProcess {
  const [command, argv] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, process.execPath, KNOCK_BIN, 'serve', ...args]]
    : [process.execPath, [KNOCK_BIN, 'serve', ...args]];
  const child = spawn(command, argv, { env: options.env ?? process.env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of waiters) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal, stderr: err });
    });
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 55000);
  void exited.then(() => clearTimeout(killer));
  return {
    child,
    lines,
    stderr: () => err,
    events: () => lines.map(parse),
    exited,
    waitFor(match, what, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.map(parse).find(match);
          if (hit) {
            cleanup();
            resolve(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`knock serve exited (${child.exitCode ?? child.signalCode}) before ${what}\nstdout:\n${lines.join('\n')}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${what} from knock serve\nstdout:\n${lines.join('\n')}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** `n` ports free for both TCP and UDP on 127.0.0.1, found by binding port 0. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  const holders: (() => Promise<void>)[] = [];
  while (ports.length < n) {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, host, r));
    const port = (server.address() as net.AddressInfo).port;
    holders.push(() => new Promise((r) => server.close(() => r())));
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, host, () => r(true));
    });
    if (ok) {
      holders.push(() => new Promise((r) => udp.close(() => r())));
      ports.push(port);
    }
  }
  for (const release of holders) await release();
  return ports;
}

/** One knock from a chosen source address (our client does not bind source addresses). */
export async function knockFrom(source: string, host: string, proto: 'tcp' | 'udp', port: number): Promise<void> {
  if (proto === 'udp') {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, source, () => socket.send(Buffer.from([0]), port, host, (error) => (error ? reject(error) : resolve())));
    });
    socket.close();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress: source });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
