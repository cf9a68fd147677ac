// `knock rules --format iptables` (and -6) loaded with iptables-restore --noflush into a real
// server namespace beside the admin's own rules, a TCP service behind it, knocked from the client.
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { startTcpService } from '../lab/recent-knock.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { doorProfiles, doorScenarios, ICMP_SERVICE, icmpScenarios, SERVICE, type DoorLab } from '../lab/door-checks.js';
import { openForProfile, openForScenarios, RENEW_SERVICE, startEchoService } from '../lab/echo-service.js';

// A name at the edge of what a firewall name may hold: dots, dashes, longer than a chain allows.
const LONG = 'gw-2.example_org-bastion';
const LONG_PROFILE = `\n  ${LONG}:\n    open: [7400, "7401:udp"]\n    port: 2226\n`;

describeLab('knock rules --format iptables (netns, iptables-restore)', ['iptables-restore', 'ip6tables-restore', 'nc', 'ping'], () => {
  const d = {} as DoorLab;
  const get = () => d;

  async function load(args: string[], tool: string) {
    const rules = await runKnock(['rules', ...args], { env: d.home.env });
    expect(rules.stderr).toBe('');
    expect(rules.code).toBe(0);
    d.lab.exec(d.lab.server, tool, ['--noflush'], rules.stdout);
  }

  beforeAll(async () => {
    d.lab = Lab.create('ru');
    d.home = new TempHome();
    d.home.writeConfig(doorProfiles(SERVER_V4, SERVER_V6) + openForProfile(SERVER_V4) + LONG_PROFILE);
    // The admin's own rules, which the door loads beside: they survive --noflush.
    d.lab.exec(d.lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '2999', '-j', 'DROP']);
    await load(['door', '--format', 'iptables', '-4'], 'iptables-restore');
    await load(['ping', '--format', 'iptables', '-4'], 'iptables-restore');
    await load(['door', '--format', 'iptables', '-6'], 'ip6tables-restore');
    await load(['ping', '--format', 'iptables', '--family', '6'], 'ip6tables-restore');
    await load(['slow', '--format', 'iptables', '-4'], 'iptables-restore');
    await load(['renew', '--format', 'iptables', '-4'], 'iptables-restore');
    await load([LONG, '--format', 'iptables', '-4'], 'iptables-restore');
    await load([LONG, '--format', 'iptables', '-6'], 'ip6tables-restore');
    await startTcpService(d.lab, SERVICE);
    await startTcpService(d.lab, ICMP_SERVICE);
    await startEchoService(d.lab);
    await startTcpService(d.lab, RENEW_SERVICE);
  });
  afterAll(() => {
    d.lab?.destroy();
    d.home?.cleanup();
  });

  test("loaded beside the admin's rules: theirs are still there, ours jump from the top of INPUT", () => {
    const rules = d.lab.exec(d.lab.server, 'iptables', ['-S', 'INPUT']);
    expect(rules).toContain('--dport 2999 -j DROP');
    expect(rules.split('\n').filter((l) => l.startsWith('-A INPUT'))[0]).toMatch(/^-A INPUT -j knock-/);
  });

  test('a long name with dots and dashes: loaded under a shortened name with a hash, 28 characters at most', () => {
    const chains = d.lab.exec(d.lab.server, 'iptables', ['-S']).match(/^-N knock-gw-2\.exam-[0-9a-f]{6}\S*/gm) ?? [];
    expect(chains).toHaveLength(3); // no close sequence: no -close chain
    for (const chain of chains) expect(chain.slice(3).length).toBeLessThanOrEqual(28);
  });

  describe('IPv4', () => doorScenarios(get, { address: SERVER_V4, profile: 'door' }));
  describe('IPv6 (ip6tables)', () => doorScenarios(get, { address: SERVER_V6, profile: 'door6' }));

  icmpScenarios(get, SERVER_V4, SERVER_V6);

  openForScenarios(get, SERVER_V4);
});
