// knock @GROUP against three server addresses: tcpdump at the server sees every member's knocks,
// in order, on their own schedules, the three starting together. Gaps and start skew are printed
// (the machine is shared: numbers for the report, not timed assertions).
import { Capture, CLIENT_V4, describeLab, Lab, type Packet } from '../lab/netns.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';

const HOSTS = { a: '198.18.0.2', b: '198.18.0.3', c: '198.18.0.4' } as const;
// Not 7000-7009: tcpdump decodes UDP there as AFS (rx) and would not say UDP.
const PORTS = { a: [5101, 5102, 5103, 5104], b: [8001, 8002, 8003], c: [9001, 9002, 9003, 9004, 9005] };
const DELAY = { a: 50, b: 80, c: 40 };

describeLab('knock @group: three hosts at once (netns, tcpdump)', ['tcpdump'], () => {
  let lab: Lab;
  const home = new TempHome();

  beforeAll(() => {
    lab = Lab.create('gr');
    for (const address of [HOSTS.b, HOSTS.c]) lab.exec(lab.server, 'ip', ['addr', 'add', `${address}/24`, 'dev', 'veth0']);
    // Static neighbours: otherwise each host's first knock waits on the wire for ARP (a few ms),
    // which tcpdump would count as the knock's own lateness.
    const mac = (JSON.parse(lab.exec(lab.server, 'ip', ['-j', 'link', 'show', 'veth0'])) as { address: string }[])[0]!.address;
    for (const address of Object.values(HOSTS)) lab.exec(lab.client, 'ip', ['neigh', 'replace', address, 'lladdr', mac, 'dev', 'veth0', 'nud', 'permanent']);
    const profiles = (['a', 'b', 'c'] as const)
      .map((m) => `  ${m}:\n    host: ${HOSTS[m]}\n    open: [${PORTS[m].map((p, i) => (i === 1 ? `"${p}:udp"` : p)).join(', ')}]\n    close: [${PORTS[m][0]! + 100}, ${PORTS[m][1]! + 100}]\n    delay: ${DELAY[m]}`)
      .join('\n');
    home.writeConfig(`profiles:\n${profiles}\ngroups:\n  fleet: [a, b, c]\n`);
  });
  afterAll(() => {
    lab?.destroy();
    home.cleanup();
  });

  test('each host gets its knocks complete and in order; the members start together', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
    const r = await runKnock(['@fleet', '--json'], { netns: lab.client, env: home.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { profile: string; address: string; knocks: { port: number; sentMs: number }[] }[];
    expect(json.map((m) => [m.profile, m.address, m.knocks.length])).toEqual([
      ['a', HOSTS.a, 4],
      ['b', HOSTS.b, 3],
      ['c', HOSTS.c, 5],
    ]);
    const packets = await capture.stop(300);
    const to = (m: keyof typeof HOSTS): Packet[] => packets.filter((p) => p.dst === HOSTS[m]);
    for (const m of ['a', 'b', 'c'] as const) {
      expect(to(m).map((p) => `${p.proto}/${p.dport}`)).toEqual(PORTS[m].map((p, i) => `${i === 1 ? 'udp' : 'tcp'}/${p}`));
    }
    expect(packets).toHaveLength(12);
    const ms = (s: number) => Math.round(s * 1e6) / 1e3;
    const starts = (['a', 'b', 'c'] as const).map((m) => to(m)[0]!.time);
    const report = (['a', 'b', 'c'] as const).map((m) => {
      const t = to(m).map((p) => p.time);
      const errors = t.slice(1).map((x, i) => ms(x - t[i]!) - DELAY[m]);
      return `${m}: gap error ${errors.map((e) => e.toFixed(3)).join(' ')} ms`;
    });
    // eslint-disable-next-line no-console
    const sent = json.map((m) => `${m.profile} ${m.knocks.map((k) => k.sentMs.toFixed(3)).join(' ')}`).join('; ');
    console.log(`@fleet on the wire: start skew ${ms(Math.max(...starts) - Math.min(...starts)).toFixed(3)} ms; ${report.join('; ')}\n  in process (sentMs from the common start): ${sent}`);
  });

  test('baseline for the report: one member alone, the same schedule', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
    const r = await runKnock(['c'], { netns: lab.client, env: home.env });
    expect(r.code).toBe(0);
    const t = (await capture.stop(300)).map((p) => p.time);
    expect(t).toHaveLength(5);
    const errors = t.slice(1).map((x, i) => Math.round((x - t[i]!) * 1e6) / 1e3 - DELAY.c);
    // eslint-disable-next-line no-console
    console.log(`c alone on the wire: gap error ${errors.map((e) => e.toFixed(3)).join(' ')} ms`);
  });

  test('close @fleet sends every close sequence; --dry-run sends nothing', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and (tcp or udp)`);
    const dry = await runKnock(['open', '@fleet', '-n'], { netns: lab.client, env: home.env });
    expect(dry.code).toBe(0);
    expect(dry.stdout.split('\n').filter((l) => l.startsWith('open '))).toHaveLength(3);
    const r = await runKnock(['close', '@fleet'], { netns: lab.client, env: home.env });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[0])).toEqual(['closed a (198.18.0.2)', 'closed b (198.18.0.3)', 'closed c (198.18.0.4)'].map((s) => s.replace(/ \(.*\)/, '')));
    const packets = await capture.stop(300);
    expect(packets.map((p) => `${p.dst}:${p.dport}`).sort()).toEqual(
      (['a', 'b', 'c'] as const).flatMap((m) => [`${HOSTS[m]}:${PORTS[m][0]! + 100}`, `${HOSTS[m]}:${PORTS[m][1]! + 100}`]).sort(),
    );
  });
});
