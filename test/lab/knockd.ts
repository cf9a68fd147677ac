// A real knockd (Debian's) in a lab namespace: its config in a temp dir, run in the foreground.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from './netns.js';

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

  /** What knockd printed so far (config, packets, stages, commands). */
  get output(): string {
    return this.log;
  }

  /** Waits until `file` (relative to the temp dir) exists, or gives up after `timeoutMs`. */
  async waitForFile(name: string, timeoutMs = 5000): Promise<boolean> {
    const file = path.join(this.dir, name);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(file)) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return existsSync(file);
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
