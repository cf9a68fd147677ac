// knock proxy against loopback servers: the bytes, both half-closes, failures, and the close
// knock after every way the proxy can end.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net, { createServer } from 'node:net';
import { TempHome } from '../helpers/run-knock.js';
import { closedPort, listen, spawnKnock } from '../helpers/proxy-child.js';
import { until } from '../helpers/until.js';


let home: TempHome;
/** Connections seen on the close-knock port: the watchdog's close knock lands there. */
let closeHits = 0;
let closeServer: net.Server;
let closeKnockPort: number;
let openKnockPorts: number[];

beforeAll(async () => {
  home = new TempHome();
  openKnockPorts = [await closedPort(), await closedPort()];
});
afterAll(() => home.cleanup());

// A fresh close-knock listener per test: a late close knock of one test cannot count for the next.
beforeEach(async () => {
  closeHits = 0;
  ({ port: closeKnockPort, server: closeServer } = await listen((s) => {
    closeHits++;
    s.destroy();
  }));
  writeProfile();
});
afterEach(() => closeServer.close());

function writeProfile(extra = '') {
  home.writeConfig(
    `profiles:\n  lo:\n    host: 127.0.0.1\n    open: [${openKnockPorts.join(', ')}]\n    close: [${closeKnockPort}]\n    delay: 5\n${extra}`,
  );
}

async function closeKnocked(): Promise<boolean> {
  return until(() => closeHits > 0, 5000);
}

test('carries 4 MiB both ways byte for byte; stdin EOF is a half-close, the echo still comes back', async () => {
  const { port, server } = await listen((s) => s.pipe(s));
  const data = randomBytes(4 * 1024 * 1024);
  const proxy = spawnKnock(['proxy', 'lo', String(port)], home.env);
  proxy.child.stdin!.end(data);
  const result = await proxy.done;
  server.close();
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.equals(data)).toBe(true);
  expect(await closeKnocked()).toBe(true);
});

test("the server's answer after our EOF arrives: the server saw EOF and still sent", async () => {
  const { port, server } = await listen((s) => {
    let n = 0;
    s.on('data', (d: Buffer) => (n += d.length));
    s.on('end', () => s.end(`got ${n} bytes after EOF\n`));
  });
  const proxy = spawnKnock(['proxy', 'lo', String(port)], home.env);
  proxy.child.stdin!.end('x'.repeat(1000));
  const result = await proxy.done;
  server.close();
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.toString()).toBe('got 1000 bytes after EOF\n');
});

test('the server closing ends the proxy with everything flushed, though stdin stays open', async () => {
  const banner = randomBytes(256 * 1024);
  const { port, server } = await listen((s) => s.end(banner));
  const proxy = spawnKnock(['proxy', 'lo', String(port)], home.env);
  // stdin is never ended here: only the server's close can end the proxy.
  const result = await proxy.done;
  server.close();
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout.equals(banner)).toBe(true);
  expect(await closeKnocked()).toBe(true);
});

test('connects once the port opens within the window (retries, not one attempt)', async () => {
  const port = await closedPort();
  const proxy = spawnKnock(['proxy', 'lo', String(port), '-v'], home.env);
  // Nothing listens until the proxy says its first attempt was refused.
  let late: net.Server | undefined;
  await new Promise<void>((resolve) => {
    let err = '';
    proxy.child.stderr!.on('data', (d: Buffer | string) => {
      err += d.toString();
      if (!late && /retrying/.test(err)) {
        late = createServer((s) => s.end('late hello\n'));
        late.listen(port, '127.0.0.1', resolve);
      }
    });
  });
  const result = await proxy.done;
  late?.close();
  expect(result.code).toBe(0);
  expect(result.stdout.toString()).toBe('late hello\n');
  expect(result.stderr).toMatch(/connect attempt 1 to 127\.0\.0\.1:\d+: .*ECONNREFUSED.*; retrying/);
});

test('a port that never opens: exit 1, one line naming the address and the window, nothing on stdout', async () => {
  const port = await closedPort();
  const proxy = spawnKnock(['proxy', 'lo', String(port), '--connect-timeout', '0.5'], home.env);
  const result = await proxy.done;
  expect(result.code).toBe(1);
  expect(result.stdout.length).toBe(0);
  expect(result.stderr).toMatch(new RegExp(`^knock: connect to 127\\.0\\.0\\.1:${port} failed after 0\\.5 s: .*ECONNREFUSED.*\\n$`));
  expect(result.stderr.split('\n')).toHaveLength(2);
  // The door was knocked open, so it is closed again.
  expect(await closeKnocked()).toBe(true);
});

test('an unknown profile and a bad port fail before any knock, one line each', async () => {
  const unknown = await spawnKnock(['proxy', 'nosuch', '22'], home.env).done;
  expect(unknown.code).toBe(2);
  expect(unknown.stdout.length).toBe(0);
  expect(unknown.stderr).toMatch(/^knock: unknown profile 'nosuch' in .*config\.yaml.*\n$/);
  const badPort = await spawnKnock(['proxy', 'lo', '70000'], home.env).done;
  expect(badPort.code).toBe(2);
  expect(badPort.stderr).toBe("knock: port '70000' is not a port number (1-65535)\n");
  expect(closeHits).toBe(0);
});

describe.each([
  ['stdin EOF and SIGHUP (ssh exiting)', 'SIGHUP'],
  ['SIGTERM', 'SIGTERM'],
  ['SIGINT (Ctrl-C)', 'SIGINT'],
  ['SIGKILL of the proxy', 'SIGKILL'],
] as const)('the close knock follows %s', (_name, signal) => {
  test('mid-session', async () => {
    const { port, server } = await listen((s) => {
      s.write('ready\n');
      s.resume();
    });
    const proxy = spawnKnock(['proxy', 'lo', String(port)], home.env);
    let stdout = '';
    await new Promise<void>((resolve) =>
      proxy.child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('ready')) resolve();
      }),
    );
    // The session is up and the door has not been closed behind it.
    expect(closeHits).toBe(0);
    if (signal === 'SIGHUP') proxy.child.stdin!.end();
    proxy.child.kill(signal);
    await proxy.done;
    server.close();
    expect(await closeKnocked()).toBe(true);
  });
});

test('-v: the knock lines come as the knocks leave, before the connection is told of, in order', async () => {
  const { port, server } = await listen((s) => s.end('hi\n'));
  const proxy = spawnKnock(['proxy', 'lo', String(port), '-v'], home.env);
  proxy.child.stdin!.end();
  const result = await proxy.done;
  server.close();
  expect(result.code).toBe(0);
  const lines = result.stderr.split('\n').filter(Boolean);
  const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
  const sent1 = at(/^knock 1\/2 \d+ -> 127\.0\.0\.1 at \+/);
  const sent2 = at(/^knock 2\/2 \d+ -> 127\.0\.0\.1 at \+/);
  const connected = at(/^proxy: connected to /);
  expect(sent1).toBeGreaterThan(at(/^proxy: close watchdog/));
  expect(sent2).toBeGreaterThan(sent1);
  expect(connected).toBeGreaterThan(sent2);
  // Its outcome line after it, whatever the outcome: refused as a rule, but a loaded machine may
  // deliver the RST after the settle time (no-answer), or another program on it may have bound
  // the closed port meanwhile (accepted). The order is what this checks.
  expect(at(/^knock 1\/2 \d+: [a-z-]+/)).toBeGreaterThan(sent1);
  expect(await closeKnocked()).toBe(true);
});

test('proxy HOST PORT with several profiles for HOST: the one whose port is PORT, not the first', async () => {
  const { port, server } = await listen((s) => s.end('hi\n'));
  home.writeConfig(
    `profiles:\n  ssh22:\n    host: 127.0.0.1\n    port: 22\n    open: [${openKnockPorts[0]}, ${openKnockPorts[1]}]\n` +
      `  mine:\n    host: 127.0.0.1\n    port: ${port}\n    open: [${openKnockPorts[1]}, ${openKnockPorts[0]}]\n    close: [${closeKnockPort}]\n`,
  );
  const proxy = spawnKnock(['proxy', '127.0.0.1', String(port), '-v'], home.env);
  proxy.child.stdin!.end();
  const result = await proxy.done;
  expect(result.code).toBe(0);
  expect(result.stderr).toMatch(/^proxy: mine -> 127\.0\.0\.1:\d+$/m);
  // No profile for the port: the candidates are named, nothing is knocked.
  const other = await closedPort();
  const ambiguous = spawnKnock(['proxy', '127.0.0.1', String(other)], home.env);
  ambiguous.child.stdin!.end();
  const refused = await ambiguous.done;
  server.close();
  expect(refused.code).toBe(2);
  expect(refused.stderr.toString()).toBe(`knock: '127.0.0.1' matches 2 profiles for port ${other}: 'ssh22' (port 22), 'mine' (port ${port}); name the profile instead\n`);
});

test('SIGKILL of the proxy between its knocks, while the watchdog still waits to start: the close knock goes', async () => {
  // 3 s between the two open knocks: the proxy is killed after the first, before any connect.
  home.writeConfig(`profiles:\n  lo:\n    host: 127.0.0.1\n    open: [${openKnockPorts.join(', ')}]\n    close: [${closeKnockPort}]\n    delay: 3000\n`);
  const { port, server } = await listen((s) => s.end());
  const proxy = spawnKnock(['proxy', 'lo', String(port), '-v'], home.env);
  let stderr = '';
  await new Promise<void>((resolve) =>
    proxy.child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^knock 1\/2 /m.test(stderr)) resolve();
    }),
  );
  expect(closeHits).toBe(0);
  // Linux: the watchdog is still the parked shell, not yet node.
  const pid = /close watchdog (\d+) armed/.exec(stderr)?.[1];
  if (process.platform === 'linux') expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('sh');
  proxy.child.kill('SIGKILL');
  await proxy.done;
  server.close();
  expect(stderr).not.toMatch(/^knock 2\/2 /m);
  expect(await closeKnocked()).toBe(true);
});
