// Network namespaces for the bench (the same layout as test/lab/netns.ts): a client and a
// server joined by veth, 198.18.0.1/.2, no default route; tcpdump at the server.
import { execFileSync, spawn } from 'node:child_process';

export const CLIENT_V4 = '198.18.0.1';
export const SERVER_V4 = '198.18.0.2';
export const CLIENT_V6 = '2001:db8:0:1::1';
export const SERVER_V6 = '2001:db8:0:1::2';

export function whyNoLab(tools = []) {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and tcpdump)';
  for (const tool of ['ip', 'tcpdump', ...tools]) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `needs ${tool}`;
    }
  }
  return undefined;
}

const sh = (args, ns) => execFileSync(ns ? 'ip' : args[0], ns ? ['netns', 'exec', ns, ...args] : args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let counter = 0;
export class Lab {
  constructor(prefix) {
    const id = `${prefix}${process.pid % 100000}x${counter++}`;
    this.client = `${id}c`;
    this.server = `${id}s`;
    this.children = [];
    sh(['ip', 'netns', 'add', this.client]);
    sh(['ip', 'netns', 'add', this.server]);
    try {
      sh(['ip', 'link', 'add', 'veth0', 'netns', this.client, 'type', 'veth', 'peer', 'name', 'veth0', 'netns', this.server]);
      for (const [ns, v4, v6] of [
        [this.client, CLIENT_V4, CLIENT_V6],
        [this.server, SERVER_V4, SERVER_V6],
      ]) {
        sh(['ip', 'link', 'set', 'lo', 'up'], ns);
        sh(['ip', 'addr', 'add', `${v4}/24`, 'dev', 'veth0'], ns);
        sh(['ip', '-6', 'addr', 'add', `${v6}/64`, 'dev', 'veth0', 'nodad'], ns);
        sh(['ip', 'link', 'set', 'veth0', 'up'], ns);
      }
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  exec(ns, args) {
    return sh(args, ns);
  }

  /** Runs a command in the client namespace to completion (`env` added); resolves with its exit code. */
  run(command, args, env = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.client, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(code) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`))));
    });
  }

  /** tcpdump -tt --immediate-mode at the server; stop() returns the raw lines. */
  async capture(filter) {
    const child = spawn('ip', ['netns', 'exec', this.server, 'tcpdump', '-i', 'veth0', '-n', '-tt', '-l', '--immediate-mode', '-U', filter], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    await new Promise((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d) => {
        err += d;
        if (err.includes('listening on')) resolve();
      });
      child.once('exit', () => reject(new Error(`tcpdump exited: ${err}`)));
    });
    return {
      stop: async (settleMs = 300) => {
        await new Promise((r) => setTimeout(r, settleMs));
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        await exited;
        return out.split('\n').filter(Boolean);
      },
    };
  }

  destroy() {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const ns of [this.client, this.server]) {
      try {
        for (const pid of sh(['ip', 'netns', 'pids', ns]).split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone
          }
        }
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        // never made
      }
    }
  }
}

/**
 * One tcpdump line: time (s), destination port, protocol and TCP flags. Ports and no flags are
 * UDP, whatever tcpdump decoded: it reads UDP by port number, so a datagram from source port
 * 49152 prints as BCM-LI "(length 1 < 4) (invalid)", without the word UDP.
 */
export function parseLine(line) {
  const time = Number(line.split(' ')[0]);
  const m = /^\S+ IP6? (\S+) > (\S+): (.*)$/.exec(line);
  const port = m && portOf(m[1]) !== undefined ? portOf(m[2]) : undefined;
  if (port === undefined) return { time, proto: 'other', line };
  const flags = /^Flags \[([^\]]+)\]/.exec(m[3])?.[1];
  return { time, port, proto: flags ? 'tcp' : 'udp', flags, line };
}

/** The port tcpdump -n appends to an address (198.18.0.1.7000, 2001:db8::1.7000), if any. */
function portOf(address) {
  const parts = address.split('.');
  return parts.length === (address.includes(':') ? 2 : 5) ? Number(parts.at(-1)) : undefined;
}
