// A link-local target's %zone given as an interface index (fe80::2%3, as ssh, ping and
// getaddrinfo take it): the knock leaves on that interface, exactly as with its name. The client
// reaches the server over two links (veth0 and veth1), and the server has fe80::2 on both, so
// only the zone decides which link a knock takes; tcpdump on each of the server's two ends says
// which one it did. An index no interface has is refused before any packet.
import { describeLab, Capture, Lab, sh, type Packet } from '../lab/netns.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';
import { spawnServe } from '../helpers/serve-process.js';

const SERVER_LL = 'fe80::2';
const CLIENT_LL = { veth0: 'fe80::10', veth1: 'fe80::11' } as const;

describeLab('an IPv6 zone given as an interface index (netns, two links, tcpdump at the server)', ['tcpdump'], () => {
  let lab: Lab;
  const home = new TempHome();
  const index: Record<'veth0' | 'veth1', string> = { veth0: '', veth1: '' };
  const serverIndex: Record<'veth0' | 'veth1', string> = { veth0: '', veth1: '' };
  beforeAll(async () => {
    lab = Lab.create('ktl-');
    sh(undefined, 'ip', ['link', 'add', 'veth1', 'netns', lab.client, 'type', 'veth', 'peer', 'name', 'veth1', 'netns', lab.server]);
    for (const dev of ['veth0', 'veth1'] as const) {
      // The client's link-local addresses are only the ones set here (no generated one), so a
      // knock's source says which of its two links it left by.
      lab.exec(lab.client, 'ip', ['link', 'set', 'dev', dev, 'addrgenmode', 'none']);
      lab.exec(lab.client, 'ip', ['-6', 'addr', 'flush', 'dev', dev, 'scope', 'link']);
      lab.exec(lab.server, 'ip', ['-6', 'addr', 'add', `${SERVER_LL}/64`, 'dev', dev, 'nodad']);
      lab.exec(lab.client, 'ip', ['-6', 'addr', 'add', `${CLIENT_LL[dev]}/64`, 'dev', dev, 'nodad']);
      lab.exec(lab.server, 'ip', ['link', 'set', dev, 'up']);
      lab.exec(lab.client, 'ip', ['link', 'set', dev, 'up']);
      index[dev] = lab.exec(lab.client, 'cat', [`/sys/class/net/${dev}/ifindex`]).trim();
      serverIndex[dev] = lab.exec(lab.server, 'cat', [`/sys/class/net/${dev}/ifindex`]).trim();
    }
    // The two links have different indexes, neither of them lo's: a test that proves a choice.
    expect(new Set([index.veth0, index.veth1, '1']).size).toBe(3);
    // An interface counts as this machine's (a zone's, by name or index) once it is running.
    const running = () => [lab.client, lab.server].every((ns) => ['veth0', 'veth1'].every((dev) => lab.exec(ns, 'cat', [`/sys/class/net/${dev}/operstate`]).trim() === 'up'));
    expect(await until(running, 10000)).toBe(true);
  });
  afterAll(() => {
    lab?.destroy();
    home.cleanup();
  });

  /** Runs one knock with captures on both of the server's ends; what each end saw. */
  async function knockAndCapture(args: string[]) {
    // UDP, TCP and ICMP echo requests (not the neighbour discovery ICMPv6 also carries).
    const filter = 'ip6 and (udp or tcp or (icmp6 and ip6[40] == 128))';
    const captures = { veth0: await Capture.start(lab, lab.server, filter, 'veth0'), veth1: await Capture.start(lab, lab.server, filter, 'veth1') };
    const result = await runKnock(args, { netns: lab.client, env: home.env, timeoutMs: 15000 });
    // Waited on the packets themselves (a refused run sends none: then the settle time only).
    if (result.code === 0) await until(() => captures.veth0.packets().length + captures.veth1.packets().length >= 3, 5000);
    const seen: Record<'veth0' | 'veth1', Packet[]> = { veth0: await captures.veth0.stop(), veth1: await captures.veth1.stop() };
    const knocks = (dev: 'veth0' | 'veth1') => seen[dev].filter((p) => p.dst === SERVER_LL).map((p) => `${p.proto} ${p.src} ${p.dport ?? ''}`.trim());
    return { result, veth0: knocks('veth0'), veth1: knocks('veth1') };
  }

  test.each(['veth0', 'veth1'] as const)('fe80::2%%INDEX of %s: both knocks leave on that link only, as with its name', async (dev) => {
    const other = dev === 'veth0' ? 'veth1' : 'veth0';
    const expected = [`udp ${CLIENT_LL[dev]} 7000`, `tcp ${CLIENT_LL[dev]} 7001`, `icmp6 ${CLIENT_LL[dev]}`];
    for (const zone of [index[dev], dev]) {
      const { result, ...seen } = await knockAndCapture(['-d', '20', `${SERVER_LL}%${zone}`, '7000:udp', '7001:tcp', 'icmp:20']);
      expect({ zone, code: result.code, stderr: result.stderr }).toEqual({ zone, code: 0, stderr: '' });
      // The result line names the interface, however the zone was written.
      expect(result.stdout).toContain(zone === dev ? `knocked ${SERVER_LL}%${dev}: 3 knocks` : `knocked ${SERVER_LL}%${zone} (${SERVER_LL}%${dev}): 3 knocks`);
      expect({ zone, on: seen[dev], other: seen[other] }).toEqual({ zone, on: expected, other: [] });
    }
  }, 60000);

  test('--source a link-local address with its zone as an index: bound on that link', async () => {
    const { result, veth0, veth1 } = await knockAndCapture(['-d', '20', '--source', `${CLIENT_LL.veth1}%${index.veth1}`, `${SERVER_LL}%${index.veth1}`, '7000:udp', '7001:tcp', 'icmp:20']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect({ veth0, veth1 }).toEqual({ veth0: [], veth1: [`udp ${CLIENT_LL.veth1} 7000`, `tcp ${CLIENT_LL.veth1} 7001`, `icmp6 ${CLIENT_LL.veth1}`] });
  }, 30000);

  test('an index no interface has (also 2^32 + its index, and an empty zone): one line, exit 2, no packet', async () => {
    const wrap = String(2 ** 32 + Number(index.veth1));
    for (const zone of ['999999', wrap, '']) {
      const { result, veth0, veth1 } = await knockAndCapture([`${SERVER_LL}%${zone}`, '7000:udp', '7001:tcp']);
      expect({ zone, code: result.code, stdout: result.stdout, packets: [...veth0, ...veth1] }).toEqual({ zone, code: 2, stdout: '', packets: [] });
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(result.stderr).toMatch(zone === '' ? /an empty zone/ : new RegExp(`no interface with index ${zone} on this machine \\(interfaces: .*veth1 ${index.veth1}`));
    }
  }, 60000);

  test('the dry run and --json name the interface the index gave', async () => {
    const dry = await runKnock(['-n', `${SERVER_LL}%${index.veth0}`, '7000:udp'], { netns: lab.client, env: home.env });
    expect([dry.code, dry.stderr]).toEqual([0, '']);
    expect(dry.stdout).toContain(`${SERVER_LL}%veth0`);
    const json = await runKnock(['--json', '-n', `${SERVER_LL}%${index.veth0}`, '7000:udp'], { netns: lab.client, env: home.env });
    expect(JSON.parse(json.stdout)).toMatchObject({ address: `${SERVER_LL}%veth0`, dryRun: true });
  }, 30000);

  test('serve --bind fe80::2%INDEX listens on that interface, by its name; a knock through the zone by index opens the door', async () => {
    home.writeConfig('profiles:\n  door:\n    open: ["7100:udp", "7101:udp"]\n');
    const serve = spawnServe(['door', '--json', '--bind', `${SERVER_LL}%${serverIndex.veth1}`], { env: home.env, netns: lab.server });
    try {
      const listening = await serve.waitFor((e) => e.event === 'listening', 'listening');
      expect(JSON.stringify(listening)).toContain(`${SERVER_LL}%veth1`);
      const r = await runKnock([`${SERVER_LL}%${index.veth1}`, '7100:udp', '7101:udp'], { netns: lab.client, env: home.env });
      expect([r.code, r.stderr]).toEqual([0, '']);
      const open = await serve.waitFor((e) => e.event === 'open', 'open');
      expect(open.src).toBe(`${CLIENT_LL.veth1}%veth1`);
    } finally {
      await serve.stop('SIGKILL');
    }
  }, 30000);
});
