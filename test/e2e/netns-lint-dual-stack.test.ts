// knock lint in a client namespace whose hosts file gives one name both addresses: the
// dual-stack note for a profile with no family, none with family: 4, none for a one-family name
// or a literal; an ssh HostName is what is resolved; a name that does not resolve is a note.
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { removeNetnsHosts, writeNetnsHosts } from '../lab/netns-hosts.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';

const CONFIG = `
profiles:
  dual:
    host: dual.lab
    open: [7000, 7001]
  four:
    host: dual.lab
    family: 4
    open: [7000, 7001]
  onlyv4:
    host: v4.lab
    open: [7000, 7001]
  literal:
    host: ${SERVER_V6}
    open: [7000, 7001]
  gate:
    open: [7000, 7001]
  nowhere:
    host: nowhere.lab
    open: [7000, 7001]
`;

describeLab('lint notes a dual-stack host with no family (netns, /etc/netns hosts file)', [], () => {
  let lab: Lab;
  const home = new TempHome();
  beforeAll(() => {
    lab = Lab.create('kld');
    writeNetnsHosts(lab.client, `${SERVER_V4} dual.lab\n${SERVER_V6} dual.lab\n${SERVER_V4} v4.lab\n`);
    home.writeConfig(CONFIG);
    // gate has no host: ssh's HostName gives it the dual-stack name.
    home.writeFile('.ssh/config', 'Host gate\n  HostName dual.lab\n');
  });
  afterAll(() => {
    if (lab) removeNetnsHosts(lab.client);
    lab?.destroy();
    home.cleanup();
  });

  test('the note for the dual-stack name (by host or HostName), none with family: 4, a one-family name or a literal; exit 0', async () => {
    const lint = await runKnock(['lint'], { netns: lab.client, env: home.env, timeoutMs: 15000 });
    expect(lint.stderr).toBe('');
    expect(lint.code).toBe(0);
    const lines = lint.stdout.trimEnd().split('\n');
    // The family the note says goes first is the one a knock of the profile plans first.
    const plan = await runKnock(['--dry-run', 'dual'], { netns: lab.client, env: home.env });
    const first = /-> \S+ \(IPv(4|6)\)/.exec(plan.stdout)?.[1];
    expect(plan.stdout.match(/-> \S+ \(IPv[46]\)/g)).toHaveLength(2);
    expect(lines.filter((l) => l.endsWith('[dual-stack]'))).toEqual([
      `dual: note: host "dual.lab" has an IPv4 address (${SERVER_V4}) and an IPv6 address (${SERVER_V6}) and the profile sets no family: each knock goes to both, IPv${first} first, so the server's door must guard both families (as knock rules dual does: nftables and knockd in one output, iptables with its -6 half); to knock one family only, set family: 4 or 6 in the profile (knock add -4 or -6 stores it) [dual-stack]`,
      expect.stringMatching(/^gate: note: host "dual\.lab" has an IPv4 address .* \(as knock rules gate does: .*\[dual-stack\]$/),
    ]);
    expect(lines.filter((l) => /^(four|onlyv4|literal):/.test(l))).toEqual([]);
    // A name this machine cannot resolve: a note, never a warning.
    expect(lines.filter((l) => l.startsWith('nowhere:'))).toEqual([expect.stringMatching(/^nowhere: note: cannot resolve 'nowhere\.lab': .*: not checked for a host with both address families .*\[not-resolved\]$/)]);
    expect(lines.at(-1)).toBe('6 profiles checked, 0 warnings');
  }, 20000);

  test('lint NAME and --json carry the finding; family: 4 has none', async () => {
    const json = await runKnock(['--json', 'lint'], { netns: lab.client, env: home.env, timeoutMs: 15000 });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { warnings: number; profiles: { name: string; findings: { level: string; code: string; message: string }[] }[] };
    const codes = Object.fromEntries(doc.profiles.map((p) => [p.name, p.findings.map((f) => `${f.level}:${f.code}`)]));
    expect(codes).toEqual({ dual: ['note:dual-stack'], four: [], onlyv4: [], literal: [], gate: ['note:dual-stack'], nowhere: ['note:not-resolved'] });
    expect(doc.profiles[0]!.findings[0]!.message).toContain(`IPv4 address (${SERVER_V4}) and an IPv6 address (${SERVER_V6})`);
    const four = await runKnock(['lint', 'four'], { netns: lab.client, env: home.env });
    expect([four.code, four.stdout]).toEqual([0, '1 profile checked, 0 warnings\n']);
    const dual = await runKnock(['lint', 'dual'], { netns: lab.client, env: home.env });
    expect(dual.code).toBe(0);
    expect(dual.stdout).toMatch(/^dual: note: .*\[dual-stack\]\n1 profile checked, 0 warnings\n$/);
  }, 30000);
});
