// Runs the built bin/knock as a long-lived child with binary stdout, for proxy tests.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { KNOCK_BIN, ROOT } from './run-knock.js';

export interface Child {
  child: ChildProcess;
  /** Resolves when the process has exited and its pipes are closed. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }>;
}

export function spawnKnock(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [KNOCK_BIN, ...args], { env, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
  return { child, done };
}

/** A loopback TCP server on an ephemeral port; `onConnection` gets each socket. */
export async function listen(onConnection: (socket: net.Socket) => void): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, server };
}

/** A loopback port on which nothing listens (connects are refused). */
export async function closedPort(): Promise<number> {
  const { port, server } = await listen(() => {});
  await new Promise((r) => server.close(r));
  return port;
}

/** The old name of until() (test/helpers/until.ts), kept for the tests that import it from here. */
