// One sequence at a time per destination, against a real knockd: `knock open` and `knock close`
// that overlap never mix their packets, a kill -9'd sender does not block the next run, and
// a lock directory that another user made is refused before anything is sent.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4, type Packet } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { KNOCK_BIN, runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

// The door is a file: the open sequence makes it, the close sequence removes it.
// UDP knocks: a sender the tests stop (SIGSTOP) mid-sequence sends nothing while stopped (a TCP
// knock's pending connect would send its SYN again, which knockd takes for a wrong knock), and a
// sequence may take as long as the other sender needs to start on a loaded machine. Ports above
// 7009: tcpdump prints datagrams to 7000-7009 as AFS Rx, not as UDP.
const KNOCKD_CONF = `
[options]
  logfile = DIR/knockd.log
[opendoor]
  sequence    = 27001:udp,27002:udp,27003:udp
  seq_timeout = 120
  command     = /usr/bin/touch DIR/door
[closedoor]
  sequence    = 27103:udp,27102:udp,27101:udp
  seq_timeout = 120
  command     = /bin/rm -f DIR/door
`;

const CONFIG = `
profiles:
  door:
    host: ${SERVER_V4}
    open: [27001:udp, 27002:udp, 27003:udp]
    close: [27103:udp, 27102:udp, 27101:udp]
    delay: 120
`;

const OPEN = [27001, 27002, 27003];
const CLOSE = [27103, 27102, 27101];

const count = (text: string, what: string) => text.split(what).length - 1;

/** The knocks' ports, in order: every datagram (the proxy's connects to 22 are TCP SYNs). */
const knocks = (packets: Packet[]) => packets.filter((p) => p.proto === 'udp' || p.flags === 'S').map((p) => p.dport!);

describeLab('one sequence at a time per destination (netns, real knockd)', ['knockd', 'tcpdump', 'iptables'], () => {
  let lab: Lab;
  let knockd: Knockd;
  const home = new TempHome();

  beforeAll(async () => {
    lab = Lab.create('sl');
    // Nothing answers: knockd sees the knocks through pcap, and no RST ends the proxy's connects.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    knockd = await Knockd.start(lab, KNOCKD_CONF);
    home.writeConfig(CONFIG);
  });
  afterAll(() => {
    knockd?.stop();
    lab?.destroy();
    home.cleanup();
  });

  // Children a test stopped are let go and ended, whatever the test's outcome.
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });
  /** knock as a child of ours in the client namespace (`ip netns exec` execs node: the pid is knock's own). */
  const startKnock = (args: string[]) => {
    const child = spawn('ip', ['netns', 'exec', lab.client, process.execPath, KNOCK_BIN, ...args], { env: home.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.resume();
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    children.push(child);
    return { child, stderr: () => stderr, exited };
  };
  const synsTo = (capture: Capture, ports: number[]) => knocks(capture.packets()).filter((port) => ports.includes(port)).length;
  const lockPath = () => path.join(home.runtimeDir, 'knock', `${SERVER_V4}.lock`);
  /**
   * Connections waiting in the accept queue of the lock's holder (ss's Recv-Q of a listening
   * socket). ss names the socket by the name it was bound to (the lock file is a second link
   * to it, in the same directory), and the directory holds nothing else that listens.
   */
  const waitingOnLock = () =>
    lab
      .exec(lab.client, 'ss', ['-xln'])
      .split('\n')
      .filter((l) => l.includes(`${path.dirname(lockPath())}/`))
      .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[2]), 0);

  // The overlap is made, not hoped for: the first sender is stopped (SIGSTOP) once its first
  // knock is on the wire, so it holds the lock; it goes on (SIGCONT) only after the second has
  // said it waits. A lock that let the second through would put its knocks between the first's.
  test('open and close that overlap, five times: two whole sequences each time, the later one waits and says so, the door ends as it left it', async () => {
    for (let round = 1; round <= 5; round++) {
      const [firstAction, secondAction] = round % 2 ? ['open', 'close'] : ['close', 'open'];
      const firstPorts = firstAction === 'open' ? OPEN : CLOSE;
      const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
      const opensBefore = count(knockd.output, 'opendoor: OPEN SESAME');
      const closesBefore = count(knockd.output, 'closedoor: OPEN SESAME');
      const first = startKnock([firstAction!, 'door', '-v']);
      expect(await until(() => synsTo(capture, [firstPorts[0]!]) === 1, 20000, 5)).toBe(true);
      first.child.kill('SIGSTOP');
      const second = startKnock([secondAction!, 'door', '-v']);
      const waitLine = `waiting: another knock sequence to ${SERVER_V4} is under way`;
      expect(await until(() => second.stderr().includes(waitLine), 20000)).toBe(true);
      first.child.kill('SIGCONT');
      expect(await Promise.all([first.exited, second.exited])).toEqual([0, 0]);
      expect(first.stderr()).not.toContain('waiting');
      expect(count(second.stderr(), waitLine)).toBe(1);
      const ports = knocks(await capture.stop(200));
      expect(ports).toEqual(firstAction === 'open' ? [...OPEN, ...CLOSE] : [...CLOSE, ...OPEN]);
      // knockd completed both sequences, and ran their commands in that order.
      expect(await until(() => count(knockd.output, 'opendoor: OPEN SESAME') === opensBefore + 1 && count(knockd.output, 'closedoor: OPEN SESAME') === closesBefore + 1)).toBe(true);
      const openLast = secondAction === 'open';
      expect(await until(() => knockd.exists('door') === openLast)).toBe(true);
    }
  });

  test("the proxy's close watchdog and an explicit `knock close` (the README's old one-liner) send two whole close sequences", async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
    // Nothing accepts on 22 here: the proxy knocks and keeps trying to connect until it is told to stop.
    const proxy = startKnock(['proxy', 'door', '22', '--connect-timeout', '60', '-v']);
    expect(await until(() => synsTo(capture, OPEN) === 3 && synsTo(capture, [22]) >= 1, 20000)).toBe(true);
    // The user's own close starts and is stopped while it holds the lock, its first knock out.
    const close = startKnock(['close', 'door', '-v']);
    expect(await until(() => synsTo(capture, [CLOSE[0]!]) === 1, 20000, 5)).toBe(true);
    close.child.kill('SIGSTOP');
    // The proxy is stopped; its watchdog starts the close sequence and must wait for the lock:
    // its connection sits in the stopped holder's accept queue.
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).not.toBe(0);
    expect(await until(() => waitingOnLock() >= 1, 20000)).toBe(true);
    expect(synsTo(capture, CLOSE)).toBe(1);
    close.child.kill('SIGCONT');
    expect(await close.exited).toBe(0);
    expect(await until(() => synsTo(capture, CLOSE) === 6, 20000)).toBe(true);
    const ports = knocks(await capture.stop(200)).filter((port) => port > 7000);
    expect(ports).toEqual([...OPEN, ...CLOSE, ...CLOSE]);
  });

  test('a sender killed with SIGKILL in the middle of its sequence does not block the next run', async () => {
    let capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
    const sender = startKnock(['open', 'door', '-d', '3000']);
    // Its first knock is out and it holds the lock for 6 s more.
    expect(await until(() => synsTo(capture, [OPEN[0]!]) === 1, 20000, 5)).toBe(true);
    await capture.stop(0);
    const { existsSync } = await import('node:fs');
    expect(existsSync(lockPath())).toBe(true);
    sender.child.kill('SIGKILL');
    await sender.exited;
    capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
    const closed = await runKnock(['close', 'door', '-v'], { netns: lab.client, env: home.env });
    // A lock taken for live would have said so and waited out its 30 s bound (exit 1).
    expect(closed.stderr).not.toContain('waiting');
    expect(closed.code).toBe(0);
    expect(knocks(await capture.stop(200))).toEqual(CLOSE);
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
