// A dry run previews a host this machine cannot resolve (one behind a VPN): the plan with the
// name, said to be unresolved, exit 0. Inside a namespace with no route out and a resolver on
// its own loopback, so the lookup of the .invalid name never leaves.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { NETNS_ETC, removeNetnsHosts, writeNetnsHosts } from '../lab/netns-hosts.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';

const CONFIG = `
profiles:
  office:
    host: gate.invalid
    open: [7000, "8000:udp", 9000]
    close: [9000, 7000]
    delay: 200
  lab:
    host: gate.lab.test
    open: [7000]
groups:
  both: [office, lab]
`;

describeLab('dry run of a name that does not resolve (netns)', [], () => {
  let lab: Lab;
  const home = new TempHome();

  beforeAll(() => {
    lab = Lab.create('dr');
    writeNetnsHosts(lab.client, `127.0.0.1 localhost\n${SERVER_V4} gate.lab.test\n`);
    writeFileSync(path.join(NETNS_ETC, lab.client, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    home.writeConfig(CONFIG);
  });
  afterAll(() => {
    if (lab) removeNetnsHosts(lab.client);
    lab?.destroy();
    home.cleanup();
  });

  test('knock --dry-run office: the plan with the name unresolved, said so, exit 0', async () => {
    const result = await runKnock(['--dry-run', 'office'], { netns: lab.client, env: home.env });
    expect(result.stderr).toMatch(/^knock: warning: cannot resolve 'gate\.invalid': .*; the plan shows the name \(a real run resolves it first, and fails if it still cannot\)\n$/);
    expect(result.stdout).toBe(
      'open office: gate.invalid (not resolved), 3 knocks over 400 ms\n' +
        '   1. +    0 ms  7000        tcp 7000\n' +
        '   2. +  200 ms  8000:udp    udp 8000\n' +
        '   3. +  400 ms  9000        tcp 9000\n' +
        'dry run: nothing was sent\n',
    );
    expect(result.code).toBe(0);
  });

  test('--json says so too: address null, the reason in unresolved', async () => {
    const result = await runKnock(['close', 'office', '-n', '--json'], { netns: lab.client, env: home.env });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toMatchObject({ action: 'close', profile: 'office', host: 'gate.invalid', address: null, dryRun: true, unresolved: expect.stringMatching(/^cannot resolve 'gate\.invalid'/) });
    expect(plan.knocks).toHaveLength(2);
  });

  test('a name that resolves is still resolved; a group previews both', async () => {
    const one = await runKnock(['-n', 'lab'], { netns: lab.client, env: home.env });
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(one.stdout.split('\n')[0]).toBe(`open lab: gate.lab.test -> ${SERVER_V4} (IPv4), 1 knock over 0 ms`);
    const group = await runKnock(['-n', '@both'], { netns: lab.client, env: home.env });
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/^open office: gate\.invalid \(not resolved\), 3 knocks/m);
    expect(group.stdout).toMatch(new RegExp(`^open lab: gate\\.lab\\.test -> ${SERVER_V4.replace(/\./g, '\\.')} \\(IPv4\\)`, 'm'));
  });

  test('the real run still fails before any packet (exit 1), and so does a --source that is not local', async () => {
    const real = await runKnock(['office'], { netns: lab.client, env: home.env });
    expect(real.code).toBe(1);
    // getaddrinfo's EAI_AGAIN (no name server answers here), in words: one plain line.
    expect(real.stderr).toBe("knock: cannot resolve 'gate.invalid': temporary failure in name resolution (no answer from the name server)\n");
    const source = await runKnock(['-n', 'office', '--source', '192.0.2.77'], { netns: lab.client, env: home.env });
    expect(source.code).not.toBe(0);
    expect(source.stdout).toBe('');
  });
});
