// One-time sequences against a real knockd (Debian's, one_time_sequences): the client and the
// server use up the same lines in the same order, a replayed line opens nothing, an exhausted
// list sends nothing; two concurrent opens take different lines. Packets counted by tcpdump.
import { readFileSync } from 'node:fs';
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4, type Packet } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

// Leading spaces, as knockd's man page advises: the '#' then takes the space, not a digit.
const LIST = ' 7101,7102:udp,7103\n 7201,7202:udp,7203\n\n 7301,7302:udp,7303\n 7401,7402:udp,7403\n';
const SPARE = Array.from({ length: 6 }, (_, i) => ` ${6101 + i * 10},${6102 + i * 10}:udp,${6103 + i * 10}\n`).join('');

const KNOCKD_CONF = `
[options]
  logfile = DIR/knockd.log
[otp]
  one_time_sequences = DIR/server-list
  seq_timeout = 10
  tcpflags    = syn
  command     = /bin/sh -c 'echo %IP% >> DIR/opens'
`;

const summary = (packets: Packet[]) => packets.map((p) => `${p.proto}/${p.dport}`);
const knocksOf = (line: string) => line.trim().split(',').map((t) => (t.endsWith(':udp') ? `udp/${t.slice(0, -4)}` : `tcp/${t}`));

describeLab('one-time sequences in lockstep with a real knockd (netns)', ['knockd', 'tcpdump', 'iptables'], () => {
  let lab: Lab;
  let knockd: Knockd;
  const home = new TempHome();
  let clientList: string;
  let spareList: string;
  const opens = () => (knockd.exists('opens') ? knockd.read('opens').split('\n').filter(Boolean).length : 0);

  beforeAll(async () => {
    lab = Lab.create('ot');
    // Silent server (as in netns-knockd): knockd sees the knocks through pcap, nothing answers.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    knockd = await Knockd.start(lab, KNOCKD_CONF, { 'server-list': LIST });
    clientList = home.writeFile('lists/office', LIST);
    spareList = home.writeFile('lists/spare', SPARE);
    home.writeConfig(`
profiles:
  otp:
    host: ${SERVER_V4}
    one_time_sequences: ${clientList}
    delay: 100
    seq_timeout: 10
  spare:
    host: ${SERVER_V4}
    one_time_sequences: ${spareList}
    delay: 100
`);
  });
  afterAll(() => {
    knockd?.stop();
    lab?.destroy();
    home.cleanup();
  });

  const lines = LIST.split('\n').filter((l) => l.trim());

  test('three opens in a row: each sends the next line, knockd opens each time, both files alike', async () => {
    for (let i = 0; i < 3; i++) {
      const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
      const dry = await runKnock(['-n', 'otp'], { netns: lab.client, env: home.env });
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain(lines[i]!.trim().split(',')[0]);
      const r = await runKnock(['-v', 'otp'], { netns: lab.client, env: home.env });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^knocked otp: 3 knocks in/);
      expect(r.stderr).toContain(`marked used; ${3 - i} left`);
      expect(await until(() => opens() === i + 1)).toBe(true);
      const packets = await capture.stopAfterSentinel(lab.client, SERVER_V4);
      expect(summary(packets)).toEqual(knocksOf(lines[i]!));
      // knockd marks the line after it opened; the client marked it before the first knock.
      expect(await until(() => knockd.read('server-list') === readFileSync(clientList, 'utf8'))).toBe(true);
    }
    expect(readFileSync(clientList, 'utf8')).toBe('#7101,7102:udp,7103\n#7201,7202:udp,7203\n\n#7301,7302:udp,7303\n 7401,7402:udp,7403\n');
  });

  test("knock(1) replaying a used line does not open; the fourth line does", async () => {
    const since = knockd.mark();
    const replay = await runProcess('ip', ['netns', 'exec', lab.client, '/usr/bin/knock', '-d', '100', SERVER_V4, '7301', '7302:udp', '7303']);
    expect(replay.code).toBe(0);
    expect(await until(() => knockd.output.includes(`${SERVER_V4}:7303`))).toBe(true);
    // knockd has judged the replay (it printed a marker knock sent after it) and ran nothing for
    // it. The marker, 7403, ends the fourth line and so starts nothing.
    expect(await knockd.startedNothing(lab, home.env, SERVER_V4, 7403, since)).toBe(true);
    expect(opens()).toBe(3);
    const r = await runKnock(['otp'], { netns: lab.client, env: home.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`knock: warning: otp: that was the last one-time sequence in ${clientList}\n`);
    expect(await until(() => opens() === 4)).toBe(true);
    expect(await until(() => knockd.read('server-list') === readFileSync(clientList, 'utf8'))).toBe(true);
  });

  test('an exhausted list: exit 2, nothing on the wire, the file untouched', async () => {
    const before = readFileSync(clientList, 'utf8');
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
    const r = await runKnock(['otp'], { netns: lab.client, env: home.env });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`knock: ${clientList}: no unused one-time sequence left (every line starts with '#'); get a fresh list from the server\n`);
    expect((await capture.stopAfterSentinel(lab.client, SERVER_V4)).filter((p) => !p.line.includes(' ARP, '))).toEqual([]);
    expect(readFileSync(clientList, 'utf8')).toBe(before);
    const lint = await runKnock(['lint', 'otp'], { env: home.env });
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain('0 unused one-time sequences left');
  });

  test('two concurrent opens take different lines, and each line leaves whole and in order', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
    const [a, b] = await Promise.all([1, 2].map(() => runKnock(['-v', 'spare'], { netns: lab.client, env: home.env })));
    expect([a!.code, b!.code]).toEqual([0, 0]);
    const taken = [a!, b!].map((r) => Number(/line (\d+) of/.exec(r.stderr)?.[1])).sort();
    expect(taken).toEqual([1, 2]);
    const packets = await capture.stopAfterSentinel(lab.client, SERVER_V4);
    const spare = SPARE.split('\n').filter(Boolean);
    for (const line of spare.slice(0, 2)) {
      const want = knocksOf(line);
      expect(summary(packets).filter((k) => want.includes(k))).toEqual(want);
    }
    expect(packets).toHaveLength(6);
    expect(readFileSync(spareList, 'utf8').split('\n').filter(Boolean).map((l) => l[0])).toEqual(['#', '#', ' ', ' ', ' ', ' ']);
  });
});
