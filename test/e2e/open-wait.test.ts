// knock open NAME --wait PORT[,PORT]: returns once the ports accept, exit 1 after the timeout.
import net from 'node:net';
import { TempHome, runKnock } from '../helpers/run-knock.js';
import { closedPort, listen, spawnKnock } from '../helpers/proxy-child.js';

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
  expect(result.stdout).toMatch(new RegExp(`^knocked lo: 1 knock in .* ms\\n127\\.0\\.0\\.1:${openPort}, 127\\.0\\.0\\.1:${other.port}: open after \\d+(\\.\\d)? s\\n$`));
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
  expect(result.stdout.toString()).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}: open after`));
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
  await new Promise((r) => setTimeout(r, 200));
  expect(accepted).toBe(0);
});
