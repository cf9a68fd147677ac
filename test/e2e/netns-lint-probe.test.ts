// lint --probe against a real knockd whose close is 9000,8000,7000 and whose open descends:
// the probes must neither close the door nor replay any sequence, and must say what they sent.
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';

const KNOCKD_CONF = `
[options]
  logfile = DIR/knockd.log
[openssh]
  sequence    = 9500,9400,9300
  seq_timeout = 5
  tcpflags    = syn
  command     = /usr/bin/touch DIR/open-%IP%
[closessh]
  sequence    = 9000,8000,7000
  seq_timeout = 5
  tcpflags    = syn
  command     = /usr/bin/touch DIR/close-%IP%
[side]
  sequence    = 7000,8000,9000
  seq_timeout = 5
  tcpflags    = syn
  command     = /usr/bin/touch DIR/side-%IP%
`;

const CONFIG = `
profiles:
  door:
    host: ${SERVER_V4}
    open: [9500, 9400, 9300]
    close: [9000, 8000, 7000]
    seq_timeout: 5
  side:
    host: ${SERVER_V4}
    open: [7000, 8000, 9000]
    seq_timeout: 5
`;

describeLab('lint --probe forms no sequence (netns, real knockd)', ['knockd', 'tcpdump', 'iptables'], () => {
  let lab: Lab;
  let knockd: Knockd;
  const home = new TempHome();

  beforeAll(async () => {
    lab = Lab.create('lp');
    // A dropping server: every probe is a bare SYN that knockd sees, and nothing answers.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '-j', 'DROP']);
    knockd = await Knockd.start(lab, KNOCKD_CONF);
    home.writeConfig(CONFIG);
  });
  afterAll(() => {
    knockd?.stop();
    lab?.destroy();
    home.cleanup();
  });

  test('the door opened by knock stays open through the probes; no sequence replayed; the probes said are the probes sent', async () => {
    const opened = await runKnock(['open', 'door'], { netns: lab.client, env: home.env });
    expect(opened.code).toBe(0);
    expect(await knockd.waitForFile(`open-${CLIENT_V4}`)).toBe(true);
    lab.exec(lab.server, 'rm', ['-f', `${knockd.dir}/open-${CLIENT_V4}`]);
    // Past seq_timeout, so the probes start with knockd holding no attempt.
    await new Promise((r) => setTimeout(r, 5500));

    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and tcp`);
    const since = knockd.mark();
    const probe = await runKnock(['lint', 'door', '--probe', '-v'], { netns: lab.client, env: home.env, timeoutMs: 30000 });
    // The probe has exited: every SYN it sent reached the capture before the sentinel.
    const packets = await capture.stopAfterSentinel(lab.client, SERVER_V4);
    expect(probe.code).toBe(0);
    const said = /^knock: probed 198\.18\.0\.2: 6 SYNs, one to each TCP knock port of door, in an order that forms none of the sequences for that address \(([\d ]+)\)$/m.exec(probe.stderr);
    expect(said).not.toBeNull();
    const ports = said![1]!.split(' ').map(Number);
    expect([...ports].sort()).toEqual([7000, 8000, 9000, 9300, 9400, 9500]);
    // Exactly one SYN per port, in the order stated.
    expect(packets.map((p) => [p.dport, p.flags])).toEqual(ports.map((p) => [p, 'S']));

    // knockd has judged every probe (it printed a marker knock sent after them) and ran nothing:
    // a door it opened late would be caught by its decision, not missed by a short wait. 9400
    // completes no sequence (it ends none) and starts none (it begins none).
    expect(await knockd.startedNothing(lab, home.env, SERVER_V4, 9400, since)).toBe(true);
    expect(knockd.output).not.toMatch(/closessh: OPEN SESAME|side: OPEN SESAME/);
    expect(knockd.exists(`close-${CLIENT_V4}`)).toBe(false);
    expect(knockd.exists(`side-${CLIENT_V4}`)).toBe(false);
    expect(knockd.exists(`open-${CLIENT_V4}`)).toBe(false);
    expect(knockd.output.match(/openssh: OPEN SESAME/g)).toHaveLength(1);
  }, 40000);

  test('control: the old order (highest port first) closes the door on this knockd', async () => {
    const result = await runKnock([SERVER_V4, '9500', '9400', '9300', '9000', '8000', '7000'], { netns: lab.client, env: home.env });
    expect(result.code).toBe(0);
    expect(await knockd.waitForFile(`close-${CLIENT_V4}`)).toBe(true);
  });
});
