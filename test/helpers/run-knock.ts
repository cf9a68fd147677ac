// Runs the built bin/knock as a child process with a temporary HOME, as a user would.
import { spawn, type SpawnOptions } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PING_ARGV_WARNING } from '../../src/knock/transport/icmp.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const KNOCK_BIN = path.join(ROOT, 'bin', 'knock');

let publicCopy: string | undefined;

/**
 * The built CLI where any user can run it, for tests that run knock as another user (nobody,
 * a victim uid): the checkout may sit under a 0700 directory (a fresh clone in a private temp
 * directory), which they cannot enter. A world-readable copy of what bin/knock runs: bin/,
 * dist/, package.json (it makes bin/knock an ES module) and koffi with its native binary, the one
 * runtime package the bundle loads on these paths (ora only shows on a terminal). Made once per test file.
 */
export function publicKnockBin(): string {
  if (publicCopy) return path.join(publicCopy, 'bin', 'knock');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-public-'));
  chmodSync(dir, 0o755);
  // koffi's native binary comes in a package of its own per platform (@koromix/koffi-linux-x64).
  for (const part of ['bin', 'dist', 'package.json', 'node_modules/koffi', 'node_modules/@koromix']) {
    if (existsSync(path.join(ROOT, part))) cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  }
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  publicCopy = dir;
  return path.join(dir, 'bin', 'knock');
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Run inside a network namespace (`ip netns exec NAME`). */
  netns?: string;
}

/** A throwaway HOME with XDG_CONFIG_HOME inside it; `writeConfig` puts a store in place. */
export class TempHome {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'knock-home-'));
  readonly configDir = path.join(this.dir, '.config', 'knock');
  /** Its own XDG_RUNTIME_DIR: the per-address sequence locks of one test stay in that test. */
  readonly runtimeDir = path.join(this.dir, 'run');

  constructor() {
    mkdirSync(this.runtimeDir, { mode: 0o700 });
  }

  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: this.dir,
      XDG_CONFIG_HOME: path.join(this.dir, '.config'),
      XDG_RUNTIME_DIR: this.runtimeDir,
      NO_COLOR: '1',
    };
    delete env.KNOCK_CONFIG;
    return env;
  }

  /** Writes $XDG_CONFIG_HOME/knock/config.yaml (mode 0600) and returns its path. */
  writeConfig(text: string, name = 'config.yaml'): string {
    mkdirSync(this.configDir, { recursive: true });
    const file = path.join(this.configDir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  writeFile(relative: string, text: string, mode = 0o600): string {
    const file = path.join(this.dir, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text, { mode });
    return file;
  }

  /**
   * Removes the HOME. A close watchdog a test's proxy left (it outlives the proxy by design, and
   * takes its lock in this HOME's runtime directory) is ended first and waited for, so that it
   * cannot write into the directory while it goes.
   */
  cleanup(): void {
    const deadline = Date.now() + 5000;
    for (let left = watchdogsOf(this.dir); left.length > 0 && Date.now() < deadline; left = watchdogsOf(this.dir)) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The close watchdogs (bin/knock-watchdog) still running with this HOME (Linux: from /proc). A
 * watchdog outlives the proxy that started it, so a test that removes what it writes to (its
 * V8 coverage, its HOME) waits for this to be empty first. A zombie has no environment: gone.
 */
export function watchdogsOf(homeDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
        return environ.includes(`HOME=${homeDir}`) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('knock-watchdog');
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

export function runKnock(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const [command, argv] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, process.execPath, KNOCK_BIN, ...args]]
    : [process.execPath, [KNOCK_BIN, ...args]];
  return runProcess(command, argv, options);
}

export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const spawnOptions: SpawnOptions = { env: options.env ?? process.env, cwd: options.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, spawnOptions);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A child that exits without reading its stdin (nc -z, say) makes this write fail with EPIPE:
    // that is the child's business, and its exit code says what happened.
    child.stdin!.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin!.end(options.input ?? '');
  });
}

/**
 * stderr without the once-per-run warning that ICMP knocks sent by a spawned ping show their
 * size in ps (absent where knock sends ICMP from its own socket): whatever else is there counts.
 */
export function withoutPingWarning(stderr: string): string {
  return stderr.replace(`knock: warning: ${PING_ARGV_WARNING}\n`, '');
}
