// `knock rules --format knockd` run by a real knockd (Debian's, knockd -c) in a server namespace
// whose own rules reject the service port: the open section's command lets the knocker in.
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { startTcpService } from '../lab/recent-knock.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { doorProfiles, doorScenarios, knock, SERVICE, serviceOpen, settlesTo, type DoorLab } from '../lab/door-checks.js';
import { ECHO_SERVICE, holdsConnection, openForProfile, startEchoService } from '../lab/echo-service.js';

describeLab('knock rules --format knockd (netns, knockd -c)', ['knockd', 'iptables', 'nc'], () => {
  const d = {} as DoorLab;
  const get = () => d;
  let knockd: Knockd;

  async function rules(profile: string): Promise<string> {
    const result = await runKnock(['rules', profile, '--format', 'knockd'], { env: d.home.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  beforeAll(async () => {
    d.lab = Lab.create('rk');
    d.home = new TempHome();
    d.home.writeConfig(doorProfiles(SERVER_V4, SERVER_V6, 2) + openForProfile(SERVER_V4, 2));
    // The admin's rules, as seed 004 has them: established connections pass, the services do not.
    const ipt = (...args: string[]) => d.lab.exec(d.lab.server, 'iptables', args);
    ipt('-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
    for (const port of [SERVICE, ECHO_SERVICE]) ipt('-A', 'INPUT', '-p', 'tcp', '--dport', String(port), '-j', 'REJECT', '--reject-with', 'tcp-reset');
    const conf = `[options]\n\tlogfile = DIR/knockd.log\n\n${await rules('door')}\n${await rules('slow')}`;
    knockd = await Knockd.start(d.lab, conf);
    await startTcpService(d.lab, SERVICE);
    await startEchoService(d.lab);
  });
  afterAll(() => {
    if (process.env.KNOCKD_LOG) console.log(knockd?.output);
    knockd?.stop();
    d.lab?.destroy();
    d.home?.cleanup();
  });


  describe('IPv4', () => doorScenarios(get, { address: SERVER_V4, profile: 'door', eventual: true, seqTimeout: 2, repeatKeepsStage: false }));

  test('the open command inserts at the top of INPUT, ahead of the DROP; close takes the same rule out', async () => {
    await knock(d, ['open', 'door']);
    expect(await settlesTo(d.lab, SERVER_V4, true)).toBe(true);
    const first = d.lab.exec(d.lab.server, 'iptables', ['-S', 'INPUT']).split('\n').filter((l) => l.startsWith('-A INPUT'))[0];
    expect(first).toBe(`-A INPUT -s 198.18.0.1/32 -p tcp -m tcp --dport ${SERVICE} -j ACCEPT`);
    // A second open does not stack a second rule, which one close would leave behind.
    await knock(d, ['open', 'door']);
    await new Promise((r) => setTimeout(r, 500));
    await knock(d, ['close', 'door']);
    expect(await settlesTo(d.lab, SERVER_V4, false)).toBe(false);
    expect(d.lab.exec(d.lab.server, 'iptables', ['-S', 'INPUT'])).not.toContain('198.18.0.1');
  });

  test('open_for (start_command, cmd_timeout, stop_command): shut for new connections after it, an established one stays', async () => {
    expect(await serviceOpen(d.lab, SERVER_V4, ECHO_SERVICE)).toBe(false);
    await knock(d, ['open', 'slow']);
    expect(await settlesTo(d.lab, SERVER_V4, true, ECHO_SERVICE)).toBe(true);
    const held = holdsConnection(d.lab, SERVER_V4, 2500);
    await new Promise((r) => setTimeout(r, 1800));
    expect(await settlesTo(d.lab, SERVER_V4, false, ECHO_SERVICE)).toBe(false);
    expect(await held).toBe('echo after 2500 ms');
  });

  test('a profile with an ICMP knock is refused, naming the knock (exit 2)', async () => {
    const result = await runKnock(['rules', 'ping', '--format', 'knockd'], { env: d.home.env });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe("knock: profile 'ping': open knock 2 (icmp:64) is ICMP, which knockd cannot match; use --format iptables or nftables\n");
  });
});
