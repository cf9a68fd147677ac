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
`;

beforeAll(() => home.writeConfig(STORE));
const rules = (...args: string[]) => runKnock(['rules', ...args], { env: home.env });

describe('knock rules', () => {
  test.each(['iptables', 'nftables', 'knockd'])('--format %s: the text on stdout, nothing on stderr, exit 0, no knock in the header', async (format) => {
    const r = await rules('office', '--format', format);
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

  test('the profile is found as every command finds it: by its host too', async () => {
    const r = await rules('gate.example.com', '-f', 'nftables');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('table inet knock_office {');
  });

  test.each([
    [['pinged', '-f', 'knockd'], "knock: profile 'pinged': open knock 2 (icmp:64) is ICMP, which knockd cannot match; use --format iptables or nftables"],
    [['office'], 'knock: missing --format: one of iptables, nftables, knockd (see knock rules --help)'],
    [['office', '-f', 'pf'], "knock: --format 'pf' is not one of iptables, nftables, knockd"],
    [['office', '-f', 'nftables', '-6'], 'knock: nftables rules cover IPv4 and IPv6 in one table'],
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
