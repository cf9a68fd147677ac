// A real knockd (Debian's) in a lab namespace: its config in a temp dir, run in the foreground.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from './netns.js';
import { runKnock } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

export class Knockd {
  private log = '';

  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d));
  }

  /**
   * Starts knockd on the server's veth0 with `conf` (written to DIR/knockd.conf; `DIR` in the
   * text is replaced by the temp dir) and waits until it is listening.
   */
  static async start(lab: Lab, conf: string, files: Record<string, string> = {}): Promise<Knockd> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-knockd-'));
    // Files the config names (one_time_sequences lists), there before knockd reads them.
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    const file = path.join(dir, 'knockd.conf');
    writeFileSync(file, conf.replaceAll('DIR', dir));
    // -v -D print every packet it sees and each stage: the log explains a failing test.
    const child = lab.spawn(lab.server, 'knockd', ['-i', 'veth0', '-c', file, '-v', '-D']);
    const knockd = new Knockd(dir, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`knockd did not start listening:\n${knockd.log}`)), 10000);
      const check = () => {
        if (knockd.log.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`knockd exited (${code}):\n${knockd.log}`));
      });
    });
    return knockd;
  }

  /**
   * Resolves once no command knockd started is still running (none of its child processes is
   * left). Together with startedNothing() (knockd has moved past the packets, so every command
   * they start has been started) this says those commands have finished: an event, not a wait.
   */
  async commandsDone(timeoutMs = 5000): Promise<boolean> {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('knockd has no pid');
    const children = () => {
      try {
        return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      } catch {
        return '';
      }
    };
    return until(() => children() === '', timeoutMs);
  }

  /** What knockd printed so far (config, packets, stages, commands). */
  get output(): string {
    return this.log;
  }

  /** A place in knockd's output, taken before knocks that startedNothing() then judges. */
  mark(): number {
    return this.log.length;
  }

  /**
   * Waits until knockd has judged every packet sent to it so far, then says whether, since
   * `since`, it started no door's command. The event: one marker knock (`port`, a port of a
   * sequence in the config, so that knockd's filter lets it through, and never a sequence's
   * first port, so that it starts nothing) sent from the client namespace after them, printed
   * by knockd. knockd reads packets one at a time and prints "running command" when a sequence
   * completes, before it reads the next; the command itself runs in a child and may finish
   * later, so a door that opens late is caught here by its decision, not by the clock.
   */
  async startedNothing(lab: Lab, env: NodeJS.ProcessEnv, address: string, port: number, since: number, timeoutMs = 5000): Promise<boolean> {
    const from = this.log.length;
    const sent = await runKnock(['-q', address, String(port)], { netns: lab.client, env });
    if (sent.code !== 0) throw new Error(`the marker knock failed: ${sent.stderr}`);
    if (!(await until(() => this.log.slice(from).includes(`-> ${address}:${port} `), timeoutMs))) {
      throw new Error(`knockd did not print the marker knock to ${address}:${port}:\n${this.log.slice(since)}`);
    }
    return !/: running command: /.test(this.log.slice(since));
  }

  /** Waits until `file` (relative to the temp dir) exists, or gives up after `timeoutMs`. */
  async waitForFile(name: string, timeoutMs = 5000): Promise<boolean> {
    const file = path.join(this.dir, name);
    return until(() => existsSync(file), timeoutMs);
  }

  read(name: string): string {
    return readFileSync(path.join(this.dir, name), 'utf8');
  }

  exists(name: string): boolean {
    return existsSync(path.join(this.dir, name));
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
