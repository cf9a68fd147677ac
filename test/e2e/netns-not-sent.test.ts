// True exit codes: a knock the local kernel would not send (no route, a local firewall's EPERM)
// is exit 1 naming it; a knock that left and was refused, dropped or answered by an ICMP
// unreachable is a normal knock (exit 0).
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { runKnock, TempHome, withoutPingWarning } from '../helpers/run-knock.js';

// Inside the lab's /24 there is a route; outside it none (the namespaces have no default route).
const NO_ROUTE = '198.18.9.9';

describeLab('knocks that could not be sent (netns)', ['iptables', 'tcpdump', 'ping'], () => {
  let lab: Lab;
  const home = new TempHome();

  beforeAll(() => {
    lab = Lab.create('ns');
    // The client's own firewall refuses UDP to 7002: sendmsg() fails with EPERM.
    lab.exec(lab.client, 'iptables', ['-A', 'OUTPUT', '-p', 'udp', '--dport', '7002', '-j', 'DROP']);
    // The server answers TCP 7005 with an ICMP host-unreachable, and drops 7006.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '7005', '-j', 'REJECT', '--reject-with', 'icmp-host-unreachable']);
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '7006', '-j', 'DROP']);
  });
  afterAll(() => {
    lab?.destroy();
    home.cleanup();
  });

  test.each([
    ['TCP', '7001', 'ENETUNREACH'],
    ['UDP', '7001:udp', 'ENETUNREACH'],
    ['ICMP', 'icmp:64', 'ping could not send it (exit 2)'],
  ])('%s to an address with no route: exit 1, one line naming the knock and the address', async (_name, token, reason) => {
    const result = await runKnock([NO_ROUTE, token], { netns: lab.client, env: home.env });
    expect(result.stdout).toBe('');
    expect(withoutPingWarning(result.stderr)).toBe(`knock: knock 1/1 (${token}) to ${NO_ROUTE} could not be sent: ${reason}\n`);
    expect(result.code).toBe(1);
  });

  test('a local firewall refusing the second knock: exit 1 naming knock 2; the knocks that could leave did', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
    const result = await runKnock([SERVER_V4, '7001', '7002:udp', '7003', '--json'], { netns: lab.client, env: home.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^knock: knock 2/3 \\(7002:udp\\) to ${SERVER_V4.replace(/\./g, '\\.')} could not be sent: .*EPERM.*\\n$`));
    // --json still says what happened to each.
    expect(JSON.parse(result.stdout).knocks.map((k: { result: string }) => k.result)).toEqual(['refused', 'not-sent', 'refused']);
    expect((await capture.stop(200)).map((p) => p.dport)).toEqual([7001, 7003]);
  });

  test('refused, answered by ICMP host-unreachable, or dropped: the knocks left, exit 0', async () => {
    const result = await runKnock([SERVER_V4, '7004', '7005', '7006', '-v'], { netns: lab.client, env: home.env });
    expect(result.stderr).toMatch(/knock 1\/3 7004: refused\n/);
    expect(result.stderr).toMatch(/knock 2\/3 7005: unreachable \(EHOSTUNREACH\)\n/);
    expect(result.stderr).toMatch(/knock 3\/3 7006: no-answer\n/);
    expect(result.stdout).toMatch(/^knocked 198\.18\.0\.2: 3 knocks in /);
    expect(result.code).toBe(0);
  });
});
