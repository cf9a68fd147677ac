// knock rules --format puppet through the built CLI: a manifest on stdout and nothing else;
// groups as classes; names, families and groups it cannot take refused with exit 2 and one
// line, with nothing on stdout.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runKnock, runProcess, TempHome } from '../helpers/run-knock.js';

const home = new TempHome();
afterAll(() => home.cleanup());

const STORE = `profiles:
  office:
    host: gate.example.com
    port: 2222
    open: [7000, "8000:udp", "icmp:64"]
    close: [9000]
  gw-2.Example_org:
    host: 198.18.0.2
    port: 1194/udp
    open: [7000, 7001]
    family: 4
  v6only:
    host: 2001:db8::2
    open: [7000, 7001]
    family: 6
  "two words":
    open: [7000, 8000]
  "o'neil":
    open: [7000, 8000]
  quoted:
    host: "gate' } exec { 'x"
    open: [7000, 8000]
groups:
  fleet: [office, gw-2.Example_org, v6only]
  bad: [office, "two words"]
`;

beforeAll(() => home.writeConfig(STORE));
const rules = (...args: string[]) => runKnock(['rules', ...args], { env: home.env });

describe('knock rules --format puppet', () => {
  test('a profile: the manifest on stdout, nothing on stderr, exit 0; both families; the class declared last', async () => {
    const r = await rules('office', '--format', 'puppet');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^# knock rules for profile 'office' \(host gate\.example\.com\): Puppet manifest/);
    expect(r.stdout).toContain("firewallchain { 'knock-office-in:filter:IPv6':");
    expect(r.stdout).toContain("provider => 'ip6tables',");
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe("class { 'knock_office': ensure => present }");
    // -q does not hide the result.
    expect((await rules('office', '--format', 'puppet', '-q')).stdout).toBe(r.stdout);
  });

  test("family: 4 limits it; -4 / --family 4 limit a profile without family; a UDP service is guarded as UDP", async () => {
    const r = await rules('gw-2.Example_org', '--format', 'puppet');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).not.toContain('ip6tables');
    expect(r.stdout).toContain("class knock_gw_02_1_example__org (");
    expect(r.stdout).toContain("reject   => 'icmp-port-unreachable',");
    for (const flag of [['-4'], ['--family', '4']]) {
      const one = await rules('office', '--format', 'puppet', ...flag);
      expect(one.code).toBe(0);
      expect(one.stdout).not.toContain(':IPv6');
    }
  });

  test('@GROUP: one class per member, each named in the header, none declared', async () => {
    const r = await rules('@fleet', '--format', 'puppet');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    for (const [c, p] of [
      ['knock_office', 'office'],
      ['knock_gw_02_1_example__org', 'gw-2.Example_org'],
      ['knock_v6only', 'v6only'],
    ]) {
      expect(r.stdout).toContain(`#   ${c}: profile '${p}'`);
      expect(r.stdout).toMatch(new RegExp(`^class ${c} \\($`, 'm'));
    }
    expect(r.stdout).not.toMatch(/^(include|class \{)/m);
  });

  test('puppet parser validate takes every manifest: names with dots, dashes, capitals, a UDP service, one family, a group', async () => {
    if (!existsSync('/usr/bin/puppet')) {
      if (process.env.CI) throw new Error('puppet missing (Debian: puppet): CI must run this');
      return;
    }
    const files: string[] = [];
    for (const [i, args] of [['office'], ['gw-2.Example_org'], ['v6only'], ['office', '-6'], ['@fleet']].entries()) {
      const r = await rules(...args, '--format', 'puppet');
      expect(r.code).toBe(0);
      files.push(path.join(home.dir, `m${i}.pp`));
      writeFileSync(files.at(-1)!, r.stdout);
    }
    const result = await runProcess('puppet', ['parser', 'validate', '--color=false', ...files], { env: { ...process.env, HOME: home.dir }, timeoutMs: 120_000 });
    expect(result.stderr.split('\n').filter((l) => /Error:/.test(l) && !/Facter/.test(l))).toEqual([]);
    expect(result.code).toBe(0);
  }, 120_000);

  test.each([
    [['two words', '--format', 'puppet'], /^knock: profile "two words": a name for firewall rules may hold only/],
    [["o'neil", '--format', 'puppet'], /^knock: profile "o'neil": a name for firewall rules may hold only/],
    [['quoted', '--format', 'puppet'], /^knock: profile "quoted": host .* is not a plain host name or address/],
    [['@bad', '--format', 'puppet'], /^knock: group @bad: two words: profile "two words": a name for firewall rules/],
    [['@nope', '--format', 'puppet'], /^knock: unknown group '@nope' in .* \(groups: @fleet, @bad\)/],
    [['@fleet', '--format', 'iptables'], /^knock: knock rules @fleet: a group's rules come only as Puppet classes \(--format puppet\)/],
    [['v6only', '--format', 'puppet', '-4'], /^knock: profile 'v6only' has family: 6: its door has no IPv4 rules/],
    [['@fleet', '--format', 'puppet', '-6'], /^knock: group @fleet: gw-2\.Example_org: profile 'gw-2\.Example_org' has family: 4: its door has no IPv6 rules/],
  ])('%j is refused: exit 2, one line, nothing on stdout', async (args, message) => {
    const r = await rules(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
