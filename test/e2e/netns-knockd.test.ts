// Against a real knockd: a profile opens and closes (IPv4 and IPv6, TCP and UDP knocks), also
// with 1.5 s between knocks on a server that drops them (a SYN retransmit would reset knockd).
import { Capture, CLIENT_V4, CLIENT_V6, describeLab, Lab, SERVER_V4, SERVER_V6, type Packet } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const KNOCKD_CONF = `
[options]
  logfile = DIR/knockd.log
[opendoor]
  sequence    = 7000,8000:udp,9000
  seq_timeout = 10
  tcpflags    = syn
  command     = /usr/bin/touch DIR/open-%IP%
[closedoor]
  sequence    = 9100,8100:udp,7100
  seq_timeout = 10
  tcpflags    = syn
  command     = /usr/bin/touch DIR/close-%IP%
`;

const CONFIG = `
profiles:
  door:
    host: ${SERVER_V4}
    open: [7000, "8000:udp", 9000]
    close: [9100, "8100:udp", 7100]
    delay: 1500
    seq_timeout: 10
  door6:
    host: "${SERVER_V6}"
    open: [7000, "8000:udp", 9000]
    close: [9100, "8100:udp", 7100]
    delay: 100
`;

const summary = (packets: Packet[]) => packets.map((p) => [p.proto, p.dport ?? null, p.flags ?? null]);

describeLab('knockd opens and closes (netns, real knockd)', ['knockd', 'tcpdump', 'iptables', 'ip6tables'], () => {
  let lab: Lab;
  let knockd: Knockd;
  const home = new TempHome();

  beforeAll(async () => {
    lab = Lab.create('cl');
    // A silent server: knockd sees knocks through pcap, but nothing answers them, so a held
    // socket would retransmit its SYN after ~1 s and knockd would count a wrong knock.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    lab.exec(lab.server, 'ip6tables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '-j', 'DROP']);
    lab.exec(lab.server, 'ip6tables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'udp', '-j', 'DROP']);
    knockd = await Knockd.start(lab, KNOCKD_CONF);
    home.writeConfig(CONFIG);
  });
  afterAll(() => {
    knockd?.stop();
    lab?.destroy();
    home.cleanup();
  });

  test('control: the right knocks in the wrong order open nothing', async () => {
    const result = await runKnock([SERVER_V4, '8000:udp', '7000', '9000'], { netns: lab.client, env: home.env });
    expect(result.code).toBe(0);
    // knockd has seen the last knock once it logs it; it would have opened by then.
    expect(await until(() => knockd.output.includes(`-> ${SERVER_V4}:9000`))).toBe(true);
    expect(knockd.output).not.toContain('OPEN SESAME');
    expect(knockd.exists(`open-${CLIENT_V4}`)).toBe(false);
  });

  test('open, 1.5 s between knocks on a dropping server: exactly three packets and knockd opens', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
    const result = await runKnock(['open', 'door'], { netns: lab.client, env: home.env });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^knocked door: 3 knocks in \d+\.\d ms\n$/);
    expect(result.code).toBe(0);
    expect(await knockd.waitForFile(`open-${CLIENT_V4}`)).toBe(true);
    expect(knockd.output).toContain(`${CLIENT_V4}: opendoor: OPEN SESAME`);
    expect(knockd.exists(`close-${CLIENT_V4}`)).toBe(false);
    // Past the kernel's first SYN retransmit (~1 s after the last knock). Every IP packet from
    // the client counts (ARP aside), wherever it was going: nothing but the knocks may leave.
    const packets = (await capture.stop(1500)).filter((p) => !p.line.includes(' ARP, '));
    expect(summary(packets)).toEqual([
      ['tcp', 7000, 'S'],
      ['udp', 8000, null],
      ['tcp', 9000, 'S'],
    ]);
    // On the wire, each knock leaves no earlier than its schedule (lower bounds only).
    const gaps = packets.slice(1).map((p, i) => (p.time - packets[i]!.time) * 1000);
    for (const gap of gaps) expect(gap).toBeGreaterThan(1450);
  });

  test('close: the close sequence runs knockd\'s close command', async () => {
    const result = await runKnock(['close', 'door', '-d', '300'], { netns: lab.client, env: home.env });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^closed door: 3 knocks in/);
    expect(result.code).toBe(0);
    expect(await knockd.waitForFile(`close-${CLIENT_V4}`)).toBe(true);
    expect(knockd.output).toContain(`${CLIENT_V4}: closedoor: OPEN SESAME`);
  });

  test('IPv6: knockd 0.8 tracks IPv6 knocks; the profile opens and closes', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V6} and (tcp or udp)`);
    const opened = await runKnock(['door6'], { netns: lab.client, env: home.env });
    expect(opened.stderr).toBe('');
    expect(opened.code).toBe(0);
    expect(await knockd.waitForFile(`open-${CLIENT_V6}`)).toBe(true);
    const closed = await runKnock(['close', 'door6'], { netns: lab.client, env: home.env });
    expect(closed.code).toBe(0);
    expect(await knockd.waitForFile(`close-${CLIENT_V6}`)).toBe(true);
    const packets = (await capture.stop(1200)).filter((p) => p.dst === SERVER_V6);
    expect(summary(packets)).toEqual([
      ['tcp', 7000, 'S'],
      ['udp', 8000, null],
      ['tcp', 9000, 'S'],
      ['tcp', 9100, 'S'],
      ['udp', 8100, null],
      ['tcp', 7100, 'S'],
    ]);
  });
});
