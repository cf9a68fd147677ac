// `knock rules --format nftables` loaded with nft -f into a real server namespace, beside the
// admin's own table and another profile's, one table for IPv4 and IPv6, knocked from the client.
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { startTcpService } from '../lab/recent-knock.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { doorProfiles, doorScenarios, ICMP_SERVICE, icmpScenarios, SERVICE, type DoorLab } from '../lab/door-checks.js';
import { openForProfile, openForScenarios, RENEW_SERVICE, startEchoService } from '../lab/echo-service.js';

const ADMIN_TABLE = 'table inet admin {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 2999 drop\n\t}\n}\n';

// A name at the edge of what a firewall name may hold: dots, dashes, longer than a chain allows.
const LONG = 'gw-2.example_org-bastion';
const LONG_PROFILE = `\n  ${LONG}:\n    open: [7400, "7401:udp"]\n    port: 2226\n`;

describeLab('knock rules --format nftables (netns, nft -f)', ['nft', 'nc', 'ping'], () => {
  const d = {} as DoorLab;
  const get = () => d;

  async function load(profile: string) {
    const rules = await runKnock(['rules', profile, '--format', 'nftables'], { env: d.home.env });
    expect(rules.stderr).toBe('');
    expect(rules.code).toBe(0);
    d.lab.exec(d.lab.server, 'nft', ['-f', '-'], rules.stdout);
  }

  beforeAll(async () => {
    d.lab = Lab.create('rn');
    d.home = new TempHome();
    d.home.writeConfig(doorProfiles(SERVER_V4, SERVER_V6) + openForProfile(SERVER_V4) + LONG_PROFILE);
    d.lab.exec(d.lab.server, 'nft', ['-f', '-'], ADMIN_TABLE);
    await load('door');
    await load('ping');
    await load('slow');
    await load('renew');
    // Loading again replaces the table rather than failing or doubling it.
    await load('door');
    await load(LONG);
    await startTcpService(d.lab, SERVICE);
    await startTcpService(d.lab, ICMP_SERVICE);
    await startEchoService(d.lab);
    await startTcpService(d.lab, RENEW_SERVICE);
  });
  afterAll(() => {
    d.lab?.destroy();
    d.home?.cleanup();
  });

  test("one table per profile, beside the admin's; a second load left one copy", () => {
    const tables = d.lab.exec(d.lab.server, 'nft', ['list', 'tables']).split('\n').filter(Boolean).sort();
    expect(tables).toEqual(['table inet admin', 'table inet knock_door', expect.stringMatching(/^table inet knock_gw-2\.exam-[0-9a-f]{6}$/), 'table inet knock_ping', 'table inet knock_renew', 'table inet knock_slow']);
    const chains = d.lab.exec(d.lab.server, 'nft', ['list', 'table', 'inet', 'knock_door']).match(/^\s*chain input/gm);
    expect(chains).toHaveLength(1);
  });

  // The door6 profile knocks the same sequence at the server's IPv6 address: the same table.
  describe('IPv4', () => doorScenarios(get, { address: SERVER_V4, profile: 'door' }));
  describe('IPv6', () => doorScenarios(get, { address: SERVER_V6, profile: 'door6' }));

  icmpScenarios(get, SERVER_V4, SERVER_V6);

  openForScenarios(get, SERVER_V4);

  test('the admin table still drops its port', async () => {
    expect(d.lab.exec(d.lab.server, 'nft', ['list', 'table', 'inet', 'admin'])).toContain('tcp dport 2999 drop');
  });
});
