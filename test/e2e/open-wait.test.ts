// knock open NAME --wait PORT[,PORT]: returns once the ports accept, exit 1 after the timeout.
import net from 'node:net';
import { TempHome, runKnock } from '../helpers/run-knock.js';
import { closedPort, listen, spawnKnock } from '../helpers/proxy-child.js';
import { until } from '../helpers/until.js';

let home: TempHome;
let accepted = 0;
let server: net.Server;
let openPort: number;

beforeAll(async () => {
  ({ port: openPort, server } = await listen((s) => {
    accepted++;
    s.destroy();
  }));
});
afterAll(() => server.close());
beforeEach(async () => {
  home = new TempHome();
  home.writeConfig(`profiles:\n  lo:\n    host: 127.0.0.1\n    open: [${await closedPort()}]\n    delay: 0\n`);
  accepted = 0;
});
afterEach(() => home.cleanup());

test('returns 0 once every port accepts a connection on the knocked address', async () => {
  const other = await listen((s) => s.destroy());
  const result = await runKnock(['open', 'lo', '--wait', `${openPort},${other.port}`], { env: home.env });
  other.server.close();
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`^knocked lo: 1 knock in .* ms\\n127\\.0\\.0\\.1:${openPort}, 127\\.0\\.0\\.1:${other.port}: open after \\d+\\.\\d+ s\\n$`));
  expect(accepted).toBe(1);
});

test('waits for a port that opens late (no spinner off a terminal)', async () => {
  const port = await closedPort();
  const knock = spawnKnock(['open', 'lo', '--wait', String(port), '-v'], home.env);
  // Nothing listens until the first attempt has been refused.
  let late: net.Server | undefined;
  await new Promise<void>((resolve) => {
    let err = '';
    knock.child.stderr!.on('data', (d: Buffer | string) => {
      err += d.toString();
      if (!late && /wait: attempt 1: /.test(err)) {
        late = net.createServer((s) => s.destroy());
        late.listen(port, '127.0.0.1', resolve);
      }
    });
  });
  const result = await knock.done;
  late?.close();
  expect(result.code).toBe(0);
  expect(result.stderr).toMatch(/wait: attempt 1: .*ECONNREFUSED/);
  // Tenths of a second, not whole seconds: a door that opens within a second does not say "0 s".
  const after = new RegExp(`127\\.0\\.0\\.1:${port}: open after (\\d+\\.\\d+) s\\n$`).exec(result.stdout.toString());
  expect(after).not.toBeNull();
  expect(Number(after![1])).toBeGreaterThan(0);
});

test('the address stays held while --wait waits: another knock to it goes after the wait, not between', async () => {
  // `knock open door --wait 22 && ssh door` beside another session's close: were the address
  // let go at the last knock, that close could shut the door before the wait saw it open.
  const port = await closedPort();
  const first = spawnKnock(['open', 'lo', '--wait', String(port), '-v'], home.env);
  let firstErr = '';
  first.child.stderr!.on('data', (d: Buffer | string) => (firstErr += d.toString()));
  expect(await until(() => /wait: attempt 2: /.test(firstErr), 10000, 10)).toBe(true);
  const second = spawnKnock(['lo', '-v'], home.env);
  let secondErr = '';
  second.child.stderr!.on('data', (d: Buffer | string) => (secondErr += d.toString()));
  expect(await until(() => secondErr.includes('waiting: another knock sequence to 127.0.0.1 is under way'), 10000, 10)).toBe(true);
  // Two more failed attempts of the wait, and the second has still sent nothing.
  const attempts = () => firstErr.match(/wait: attempt \d+: /g)?.length ?? 0;
  const seen = attempts();
  expect(await until(() => attempts() >= seen + 2, 10000, 10)).toBe(true);
  expect(secondErr).not.toMatch(/knock 1\/1 /);
  expect(second.child.exitCode).toBeNull();
  const late = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
  const [one, two] = await Promise.all([first.done, second.done]);
  late.close();
  expect(one.code).toBe(0);
  expect(one.stdout.toString()).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}: open after`));
  expect(two.code).toBe(0);
  expect(two.stderr).toMatch(/knock 1\/1 /);
});

test('--json: one object with the knocks and the wait result, also when the wait gives up', async () => {
  const ok = await runKnock(['open', 'lo', '--wait', String(openPort), '--json'], { env: home.env });
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  const lines = ok.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const result = JSON.parse(lines[0]!);
  expect(result).toMatchObject({ profile: 'lo', dryRun: false, wait: { address: '127.0.0.1', ports: [openPort], open: true } });
  expect(typeof result.wait.afterMs).toBe('number');
  expect(result.knocks).toHaveLength(1);

  const port = await closedPort();
  const failed = await runKnock(['open', 'lo', '--wait', String(port), '--wait-timeout', '0.5', '--json'], { env: home.env });
  expect(failed.code).toBe(1);
  expect(JSON.parse(failed.stdout)).toMatchObject({ wait: { ports: [port], open: false, error: expect.stringMatching(/did not accept a connection within 0\.5 s/) } });
  expect(failed.stderr).toMatch(/^knock: 127\.0\.0\.1:\d+ did not accept/);
});

test('--wait takes the Port that an Include file of ~/.ssh/config gives the profile name', async () => {
  home.writeConfig(`profiles:\n  work:\n    open: [${await closedPort()}]\n    delay: 0\n`);
  home.writeFile('.ssh/config', 'Include config.d/*\n');
  home.writeFile('.ssh/config.d/work', `Host work\n  HostName 127.0.0.1\n  Port ${openPort}\n`);
  const result = await runKnock(['open', 'work', '--wait'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`127\\.0\\.0\\.1:${openPort}: open after`));
  expect(accepted).toBe(1);
});

test('a port that never opens: exit 1 after --wait-timeout, one line', async () => {
  const port = await closedPort();
  const result = await runKnock(['open', 'lo', '--wait', String(port), '--wait-timeout', '0.5'], { env: home.env });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^knock: 127\\.0\\.0\\.1:${port} did not accept a connection within 0\\.5 s: .*ECONNREFUSED.*\\n$`));
  expect(result.stderr.split('\n')).toHaveLength(2);
});

test("a bare --wait uses the profile's port", async () => {
  home.writeConfig(`profiles:\n  lo:\n    host: 127.0.0.1\n    port: ${openPort}\n    open: [${await closedPort()}]\n    delay: 0\n`);
  const bare = await runKnock(['open', 'lo', '--wait'], { env: home.env });
  expect(bare.stderr).toBe('');
  expect(bare.code).toBe(0);
  expect(accepted).toBe(1);
});

test('a bad --wait is a usage error before any knock leaves', async () => {
  // The knock itself would land on the listener: a knock sent despite the error would count.
  home.writeConfig(`profiles:\n  lo:\n    host: 127.0.0.1\n    open: [${openPort}]\n    delay: 0\n`);
  const bad = await runKnock(['open', 'lo', '--wait', '22,x'], { env: home.env });
  expect(bad.code).toBe(2);
  expect(bad.stdout).toBe('');
  expect(bad.stderr).toBe("knock: --wait: 'x' is not a port number (1-65535)\n");
  // knock has exited, so any knock it sent was connected before the sentinel below: the
  // listener accepts in order, so once it has taken the sentinel it would have taken that too.
  expect(accepted).toBe(0);
  const sentinel = net.connect(openPort, '127.0.0.1');
  sentinel.on('error', () => {});
  expect(await until(() => accepted >= 1, 5000)).toBe(true);
  sentinel.destroy();
  expect(accepted).toBe(1);
});

test('`knock NAME --wait` works as `knock open NAME --wait` does, and knock --help says so', async () => {
  const result = await runKnock(['lo', '--wait', String(openPort)], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`^knocked lo: 1 knock in .* ms\\n127\\.0\\.0\\.1:${openPort}: open after \\d+\\.\\d+ s\\n$`));
  expect(accepted).toBe(1);
  const help = await runKnock(['--help'], { env: home.env });
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^ +--wait +after knocking, wait until/m);
  expect(help.stdout).toMatch(/^ +--wait-timeout +seconds --wait may take/m);
});

test('the wait is printed as the README says: tenths of a second, milliseconds below a tenth', async () => {
  const result = await runKnock(['lo', '--wait', String(openPort)], { env: home.env });
  expect(result.code).toBe(0);
  const after = /open after (\d+\.\d+) s\n$/.exec(result.stdout);
  expect(after).not.toBeNull();
  const digits = after![1]!.split('.')[1]!.length;
  // Below 0.1 s three decimals (0.051 s), from 0.1 s on one (0.4 s): never "0.0 s".
  expect(Number(after![1]) < 0.1 ? digits : 1).toBe(digits);
  expect(Number(after![1]) < 0.1 ? 3 : 1).toBe(digits);
});
