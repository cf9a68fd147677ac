// knock rules through the built CLI: the text on stdout and nothing else, refusals with exit 2
// and one line, hostile profile values refused before anything is printed.
import { runKnock, TempHome } from '../helpers/run-knock.js';

const home = new TempHome();
afterAll(() => home.cleanup());

const STORE = `profiles:
  office:
    host: gate.example.com
    port: 2222
    open: [7000, "8000:udp", 9000]
    close: [9000, "8000:udp", 7000]
    seq_timeout: 5
  pinged:
    open: [7000, "icmp:64"]
  "two words":
    open: [7000, 8000]
  "semi;colon":
    open: [7000, 8000]
  "new\\nline":
    open: [7000, 8000]
  quoted:
    host: "gate\\" -j ACCEPT"
    open: [7000, 8000]
  spaced:
    host: "gate.example.com; iptables -F"
    open: [7000, 8000]
  v4:
    family: 4
    open: [7000, 8000]
  collision-pair-1225:
    host: long
    open: [7000, 8000]
  collision-pair-6063:
    open: [7000, 8000]
  huge:
    open: [7000, 8000]
    open_for: 1e300
`;

beforeAll(() => home.writeConfig(STORE));
const rules = (...args: string[]) => runKnock(['rules', ...args], { env: home.env });

describe('knock rules', () => {
  test.each(['iptables', 'nftables', 'knockd'])('--format %s: the text on stdout, nothing on stderr, exit 0, no knock in the header', async (format) => {
    const r = await rules('office', '--format', format, ...(format === 'iptables' ? ['-4'] : []));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^# knock rules for profile 'office' \\(host gate.example.com\\): .*, by knock \\d+\\.\\d+\\.\\d+`));
    const comments = r.stdout.split('\n').filter((l) => l.startsWith('#')).join('\n');
    expect(comments).not.toMatch(/7000|8000|9000/);
    expect(r.stdout).toContain('2222');
  });

  test('-q does not silence the result; -6 and --family 6 give the same ip6tables text', async () => {
    const quiet = await rules('office', '-f', 'iptables', '-q');
    expect(quiet.stdout).toContain('*filter');
    const a = await rules('office', '-f', 'iptables', '-6');
    const b = await rules('office', '-f', 'iptables', '--family', '6');
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('ip6tables-restore --noflush');
  });

  test('iptables for a profile of both families: IPv4 by default, and a warning on stderr (and a header line) naming the -6 run', async () => {
    const r = await rules('office', '-f', 'iptables');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('knock: warning: IPv4 rules only: the door\'s IPv6 half is knock rules office --format iptables -6 (for ip6tables-restore)\n');
    expect(r.stdout).toContain('# IPv4 only: the IPv6 half is `knock rules office --format iptables -6`, loaded with ip6tables-restore --noflush.\n');
    const v4 = await rules('v4', '-f', 'iptables');
    expect(v4).toMatchObject({ code: 0, stderr: '' });
    expect(v4.stdout).not.toContain('half');
  });

  test('nftables and knockd: -4 or -6 limit the door to that family; both or neither: both', async () => {
    expect((await rules('office', '-f', 'nftables', '-6')).stdout).toContain('table ip6 knock_office {');
    expect((await rules('office', '-f', 'nftables', '-4', '-6')).stdout).toContain('table inet knock_office {');
    const knockd = await rules('office', '-f', 'knockd', '-4');
    expect(knockd.stdout).toMatch(/^\tcommand_6 += *$/m);
    expect(knockd.stdout).toMatch(/^\tcommand += \/usr\/sbin\/iptables /m);
  });

  test('the profile is found as every command finds it: by its host too', async () => {
    const r = await rules('gate.example.com', '-f', 'nftables');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('table inet knock_office {');
  });

  test.each([
    [['pinged', '-f', 'knockd'], "knock: profile 'pinged': open knock 2 (icmp:64) is ICMP, which knockd cannot match; use --format iptables or nftables"],
    [['office'], 'knock: missing --format: one of iptables, nftables, knockd, puppet, fwknopd (see knock rules --help)'],
    [['office', '-f', 'pf'], "knock: --format 'pf' is not one of iptables, nftables, knockd"],
    [['office', '-f', 'iptables', '-4', '-6'], 'knock: iptables rules are one family per file: run knock rules office --format iptables -4 (for iptables-restore), then -6 (for ip6tables-restore)'],
    [['office', '-f', 'iptables', '--family', '4', '-6'], 'knock: --family 4 and -6 contradict each other'],
    [['v4', '-f', 'iptables', '-6'], "knock: profile 'v4' has family: 4: its door has no IPv6 rules"],
    [['v4', '-f', 'nftables', '-6'], "knock: profile 'v4' has family: 4: its door has no IPv6 rules"],
    [['long', '-f', 'nftables'], 'knock: profiles "collision-pair-1225" and "collision-pair-6063" would share the firewall names collision-1cebba: rename one'],
    [['office', '-f', 'knockd', '--port', Array.from({ length: 16 }, (_, i) => 100 + i).join(',')], 'knock: profile "office": 16 service ports; at most 15'],
    [['huge', '-f', 'iptables'], 'knock: profile "huge": open_for 1e+300 is out of range (1-4000000 s'],
    [['office', '-f', 'iptables', '--json'], 'knock: knock rules prints a firewall file; it has no --json form'],
    [['office', '-f', 'iptables', '--port', '22;reboot'], "knock: --port '22;reboot': expected PORT[,PORT...]"],
    [['office', '-f', 'iptables', '--port', '7000'], 'knock: profile "office": open knock 1 (7000) is on the service port'],
    [['nobody', '-f', 'iptables'], "knock: unknown profile 'nobody'"],
    [['two words', '-f', 'iptables'], 'knock: profile "two words": a name for firewall rules may hold only letters'],
    [['semi;colon', '-f', 'nftables'], 'knock: profile "semi;colon": a name for firewall rules may hold only letters'],
    [['new\nline', '-f', 'knockd'], 'knock: profile "new\\nline": a name for firewall rules may hold only letters'],
    [['quoted', '-f', 'iptables'], 'knock: profile "quoted": host "gate\\" -j ACCEPT" is not a plain host name or address'],
    [['spaced', '-f', 'knockd'], 'knock: profile "spaced": host "gate.example.com; iptables -F" is not a plain host name or address'],
  ])('%j is refused: exit 2, one line, nothing on stdout', async (args, message) => {
    const r = await rules(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(message)).toBe(true);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
