// One sequence at a time per destination, against a real knockd: `knock open` and `knock close`
// started together never mix their packets, a kill -9'd sender does not block the next run, and
// a lock directory that another user made is refused before anything is sent.
import { spawn } from 'node:child_process';
import { chownSync, linkSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { KNOCK_BIN, runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

// The door is a file: the open sequence makes it, the close sequence removes it.
const KNOCKD_CONF = `
[options]
  logfile = DIR/knockd.log
[opendoor]
  sequence    = 7001,7002,7003
  seq_timeout = 5
  tcpflags    = syn
  command     = /usr/bin/touch DIR/door
[closedoor]
  sequence    = 7103,7102,7101
  seq_timeout = 5
  tcpflags    = syn
  command     = /bin/rm -f DIR/door
`;

const CONFIG = `
profiles:
  door:
    host: ${SERVER_V4}
    open: [7001, 7002, 7003]
    close: [7103, 7102, 7101]
    delay: 120
`;

const OPEN = [7001, 7002, 7003];
const CLOSE = [7103, 7102, 7101];

const count = (text: string, what: string) => text.split(what).length - 1;

/**
 * Holds the sequence lock at `file` as a knock run would (a listening socket linked into place),
 * counting the runs that found it held: each waiter connects to see that its holder lives.
 */
async function holdLock(file: string): Promise<{ waiters: () => number; release(): void }> {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const own = `${file}.test-${process.pid}`;
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => {});
    sockets.push(s);
  });
  await new Promise<void>((r) => server.listen(own, r));
  linkSync(own, file);
  unlinkSync(own);
  return {
    waiters: () => sockets.length,
    release: () => {
      unlinkSync(file);
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describeLab('one sequence at a time per destination (netns, real knockd)', ['knockd', 'tcpdump', 'iptables'], () => {
  let lab: Lab;
  let knockd: Knockd;
  const home = new TempHome();

  beforeAll(async () => {
    lab = Lab.create('sl');
    // Nothing answers: knockd sees the SYNs through pcap, and no RST can end a knock early.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    knockd = await Knockd.start(lab, KNOCKD_CONF);
    home.writeConfig(CONFIG);
  });
  afterAll(() => {
    knockd?.stop();
    lab?.destroy();
    home.cleanup();
  });

  test('open and close fired together, five times: two whole sequences each time, and the door ends as the later one left it', async () => {
    for (let round = 1; round <= 5; round++) {
      const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and tcp`);
      const opensBefore = count(knockd.output, 'opendoor: OPEN SESAME');
      const closesBefore = count(knockd.output, 'closedoor: OPEN SESAME');
      // Together for certain, whatever the machine's load: both start while the lock is held
      // here, and it is let go only once both have found it held (each connected to it).
      const held = await holdLock(path.join(home.runtimeDir, 'knock', `${SERVER_V4}.lock`));
      const both = Promise.all([
        runKnock(['open', 'door', '-v'], { netns: lab.client, env: home.env }),
        runKnock(['close', 'door', '-v'], { netns: lab.client, env: home.env }),
      ]);
      const waited = await until(() => held.waiters() >= 2, 30000);
      held.release();
      const [opened, closed] = await both;
      expect(waited).toBe(true);
      expect([opened.code, closed.code]).toEqual([0, 0]);
      // Each found the lock held and said so, once: the one that won the release went first,
      // the other waited on it in turn without saying so again.
      expect(count(opened.stderr, `waiting: another knock sequence to ${SERVER_V4} is under way`)).toBe(1);
      expect(count(closed.stderr, `waiting: another knock sequence to ${SERVER_V4} is under way`)).toBe(1);
      const ports = (await capture.stop(200)).filter((p) => p.flags === 'S').map((p) => p.dport);
      expect(ports).toHaveLength(6);
      const first = ports.slice(0, 3);
      const second = ports.slice(3);
      expect([first, second]).toEqual(first[0] === OPEN[0] ? [OPEN, CLOSE] : [CLOSE, OPEN]);
      // knockd completed both sequences, and ran their commands in that order.
      expect(await until(() => count(knockd.output, 'opendoor: OPEN SESAME') === opensBefore + 1 && count(knockd.output, 'closedoor: OPEN SESAME') === closesBefore + 1)).toBe(true);
      const openLast = second[0] === OPEN[0];
      expect(await until(() => knockd.exists('door') === openLast)).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      expect(knockd.exists('door')).toBe(openLast);
    }
  });

  test("the proxy's close watchdog and an explicit `knock close` (the README's old one-liner) send two whole close sequences", async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and tcp`);
    // Nothing accepts on 22 here: the proxy knocks, fails to connect after 1 s and ends, and
    // its watchdog sends the close sequence just as the user's own `knock close` starts.
    // The watchdog's output goes nowhere (it must not hold ssh's stderr), so the overlap is read
    // off the clock: the proxy ended, and its watchdog began, while the explicit close still ran.
    let proxyEnded = 0;
    let closeEnded = 0;
    const proxy = runKnock(['proxy', 'door', '22', '--connect-timeout', '1', '-v'], { netns: lab.client, env: home.env }).then((r) => ((proxyEnded = Date.now()), r));
    await new Promise((r) => setTimeout(r, 900));
    const close = runKnock(['close', 'door', '-d', '400', '-v'], { netns: lab.client, env: home.env }).then((r) => ((closeEnded = Date.now()), r));
    const [proxied, closed] = await Promise.all([proxy, close]);
    expect(proxied.code).toBe(1);
    expect(closed.code).toBe(0);
    expect(proxyEnded).toBeGreaterThan(0);
    expect(proxyEnded).toBeLessThan(closeEnded);
    const packets = await until(() => capture.packets().filter((p) => p.flags === 'S' && p.dport! > 7100).length >= 6, 5000);
    expect(packets).toBe(true);
    const ports = (await capture.stop(200)).filter((p) => p.flags === 'S' && p.dport! > 7000).map((p) => p.dport);
    expect(ports).toEqual([...OPEN, ...CLOSE, ...CLOSE]);
  });

  test('a sender killed with SIGKILL in the middle of its sequence does not block the next run', async () => {
    const child = spawn('ip', ['netns', 'exec', lab.client, process.execPath, KNOCK_BIN, 'open', 'door', '-d', '3000'], { env: home.env, stdio: 'ignore' });
    // The event: it holds the lock (for 6 s of knocks), however long its start took.
    const lockFile = path.join(home.runtimeDir, 'knock', `${SERVER_V4}.lock`);
    const { existsSync } = await import('node:fs');
    expect(await until(() => existsSync(lockFile), 15000)).toBe(true);
    // `ip netns exec` execs node: the pid is knock's own.
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and tcp`);
    const started = Date.now();
    const closed = await runKnock(['close', 'door', '-v'], { netns: lab.client, env: home.env });
    const tookMs = Date.now() - started;
    expect(closed.stderr).not.toContain('waiting');
    expect(closed.code).toBe(0);
    // Far below the 30 s bound (a generous margin for a loaded machine; the point is "not blocked").
    expect(tookMs).toBeLessThan(10000);
    expect((await capture.stop(200)).filter((p) => p.flags === 'S').map((p) => p.dport)).toEqual(CLOSE);
  });

  test('a lock directory another user made is refused: exit 1, one line, nothing sent', async () => {
    const planted = new TempHome();
    try {
      planted.writeConfig(CONFIG);
      mkdirSync(path.join(planted.runtimeDir, 'knock'), { mode: 0o700 });
      chownSync(path.join(planted.runtimeDir, 'knock'), 65534, 65534);
      const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
      const result = await runKnock(['open', 'door'], { netns: lab.client, env: planted.env });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`knock: the lock directory ${path.join(planted.runtimeDir, 'knock')} belongs to uid 65534, not you (uid 0): remove it\n`);
      expect((await capture.stop(300)).filter((p) => !p.line.includes(' ARP, '))).toEqual([]);
    } finally {
      planted.cleanup();
    }
  });
});
