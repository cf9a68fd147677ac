// One-time profiles from the built CLI on loopback: concurrent runs take different lines, a run
// killed with SIGKILL never leaves its line for the next run, and never leaves the list locked.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { KNOCK_BIN, runKnock, TempHome } from '../helpers/run-knock.js';

const N = 30;
const LIST = Array.from({ length: N }, (_, i) => ` ${20001 + 2 * i},${20002 + 2 * i}:udp\n`).join('');
const marked = (text: string) => text.split('\n').filter((l) => l.startsWith('#')).length;

describe('one-time profiles (built CLI, loopback)', () => {
  let home: TempHome;
  let list: string;
  beforeEach(() => {
    home = new TempHome();
    list = home.writeFile('lists/ot', LIST);
    home.writeConfig(`profiles:\n  ot:\n    host: 127.0.0.1\n    one_time_sequences: ${list}\n    delay: 5\n  slow:\n    host: 127.0.0.1\n    one_time_sequences: ${list}\n    delay: 400\n`);
  });
  afterEach(() => home.cleanup());

  test('six runs at once take six different lines, each sending exactly its own line', async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, () => runKnock(['--json', '-v', 'ot'], { env: home.env })));
    const sent = runs.map((r) => {
      expect(r.code).toBe(0);
      const line = Number(/one-time sequence: line (\d+) of/.exec(r.stderr)?.[1]);
      const ports = (JSON.parse(r.stdout) as { knocks: { port: number }[] }).knocks.map((k) => k.port);
      expect(ports).toEqual([20001 + 2 * (line - 1), 20002 + 2 * (line - 1)]);
      return line;
    });
    expect(sent.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(marked(readFileSync(list, 'utf8'))).toBe(6);
    expect(existsSync(`${list}.lock`)).toBe(false);
  });

  test('SIGKILL at any moment: the line it may have sent is used, and the list is not left locked', async () => {
    // Killed on an event, not after a guessed delay: as it starts (before its claim, or just
    // after it), or on its -v line saying its line is marked used (after the claim, before the
    // second knock, 400 ms later): then its line is used, exactly one.
    for (let i = 0; i < 8; i++) {
      const before = marked(readFileSync(list, 'utf8'));
      const child = spawn(process.execPath, [KNOCK_BIN, '-v', 'slow'], { env: home.env, stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = new Promise((r) => child.once('exit', r));
      const afterClaim = i % 2 === 1;
      let stderr = '';
      await new Promise<void>((resolve) => {
        if (!afterClaim) return child.once('spawn', () => resolve());
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (/one-time sequence: line \d+ of .* marked used/.test(stderr)) resolve();
        });
        child.once('exit', () => resolve());
      });
      child.kill('SIGKILL');
      await exited;
      const after = marked(readFileSync(list, 'utf8'));
      if (afterClaim) {
        expect(stderr).toMatch(/marked used/);
        expect(after - before).toBe(1);
      } else {
        // Killed before its claim: nothing used (and nothing sent); after it: its line is used.
        expect(after - before).toBeGreaterThanOrEqual(0);
        expect(after - before).toBeLessThanOrEqual(1);
      }
    }
    // At least one kill lands between the claim and the last knock (the run takes 400 ms).
    expect(marked(readFileSync(list, 'utf8'))).toBeGreaterThan(0);
    const next = await runKnock(['-v', 'ot'], { env: home.env });
    expect(next.code).toBe(0);
    const line = Number(/line (\d+) of/.exec(next.stderr)?.[1]);
    expect(line).toBe(marked(readFileSync(list, 'utf8')));
  });
});
