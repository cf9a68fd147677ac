// Every format's `# Remove:` line, run as written by `sh -c` in a server namespace that holds
// the admin's own rules and tables: the saved ruleset is byte for byte what it was before the
// load (counters aside). A second load is refused (iptables) or replaces (nftables). And doors
// guarding a UDP service, a UDP knock's payload, open_for at its limit, each against the real tool.
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { knock, type DoorLab } from '../lab/door-checks.js';
import { startUdpEcho, udpAnswers } from '../lab/udp-echo.js';
import { startTcpService } from '../lab/recent-knock.js';
import { serviceOpen } from '../lab/door-checks.js';
import { MAX_OPEN_FOR } from '../../src/rules/door.js';

const VPN = 2230;
const SESAME = 2231;
const STORE = `profiles:
  vpn:
    host: "${SERVER_V4}"
    port: ${VPN}/udp
    open: [7500, "7502:udp", 7504]
    close: [7503]
    delay: 50
    seq_timeout: 2
  vpn6:
    host: "${SERVER_V6}"
    port: ${VPN}/udp
    open: [7500, "7502:udp", 7504]
    close: [7503]
    delay: 50
    seq_timeout: 2
  sesame:
    host: "${SERVER_V4}"
    port: ${SESAME}
    open: [7600, {port: 7602, protocol: udp, payload: "text:open sesame"}]
    close: [7601]
    delay: 50
    seq_timeout: 2
  sesame6:
    host: "${SERVER_V6}"
    port: ${SESAME}
    open: [7600, {port: 7602, protocol: udp, payload: "text:open sesame"}]
    close: [7601]
    delay: 50
    seq_timeout: 2
  far:
    open: [7700, 7701]
    open_for: ${MAX_OPEN_FOR}
  wide:
    open: [7830, 7831]
  x:
    open: [7800, 7801]
    port: 2240
  x-open:
    open: [7810, 7811]
    port: 2241
`;

/** What a save prints, without what changes by itself: comments (timestamps) and counters. */
const stable = (text: string) =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[]'))
    .join('\n');

const ADMIN_TABLE = 'table inet admin {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 2999 drop\n\t}\n}\n';

async function rulesText(d: DoorLab, args: string[]): Promise<string> {
  const r = await runKnock(['rules', ...args], { env: d.home.env });
  expect(r.code).toBe(0);
  return r.stdout;
}

function removeLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.startsWith('# Remove: '));
  expect(lines).toHaveLength(1);
  return lines[0]!.slice('# Remove: '.length);
}

async function sh(d: DoorLab, command: string) {
  return runProcess('ip', ['netns', 'exec', d.lab.server, 'sh', '-c', command]);
}

describeLab('knock rules: Remove lines, UDP services, payloads, limits (netns, iptables-restore and nft)', ['iptables-restore', 'ip6tables-restore', 'nft', 'nc'], () => {
  const d = {} as DoorLab;

  beforeAll(async () => {
    d.lab = Lab.create('rr');
    d.home = new TempHome();
    d.home.writeConfig(STORE);
    // The admin's own rules on both families, and a table of their own.
    d.lab.exec(d.lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '2999', '-j', 'DROP']);
    d.lab.exec(d.lab.server, 'iptables', ['-N', 'admin-chain']);
    d.lab.exec(d.lab.server, 'iptables', ['-A', 'admin-chain', '-s', '198.18.9.9', '-j', 'DROP']);
    d.lab.exec(d.lab.server, 'ip6tables', ['-A', 'INPUT', '-p', 'udp', '--dport', '2998', '-j', 'DROP']);
    d.lab.exec(d.lab.server, 'nft', ['-f', '-'], ADMIN_TABLE);
    await startUdpEcho(d.lab, VPN);
    await startTcpService(d.lab, SESAME);
  });
  afterAll(() => {
    d.lab?.destroy();
    d.home?.cleanup();
  });

  const saves = () => ({
    v4: stable(d.lab.exec(d.lab.server, 'iptables-save', [])),
    v6: stable(d.lab.exec(d.lab.server, 'ip6tables-save', [])),
    nft: d.lab.exec(d.lab.server, 'nft', ['list', 'ruleset']),
  });

  test.each([
    ['iptables', ['-4'], 'iptables-restore', 'v4'],
    ['iptables', ['-6'], 'ip6tables-restore', 'v6'],
  ] as const)('%s %s: loaded twice (the second refused, nothing changed), then the Remove line: the save is as before', async (format, flags, tool, which) => {
    const before = saves();
    for (const profile of ['vpn', 'x', 'x-open']) {
      const text = await rulesText(d, [profile, '-f', format, ...flags]);
      d.lab.exec(d.lab.server, tool, ['--noflush'], text);
      const loaded = saves();
      const again = await runProcess('ip', ['netns', 'exec', d.lab.server, tool, '--noflush'], { input: text });
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain('Chain already exists');
      expect(saves()).toEqual(loaded);
    }
    // x and x-open side by side: each has its own chains (issue: x-open's load replaced x's).
    expect(saves()[which]).toMatch(/-A INPUT -j knock-x-in\n/);
    expect(saves()[which]).toMatch(/-A INPUT -j knock-x-open-in\n/);
    for (const profile of ['x-open', 'x', 'vpn']) {
      const removed = await sh(d, removeLine(await rulesText(d, [profile, '-f', format, ...flags])));
      expect(removed).toMatchObject({ code: 0, stderr: '' });
    }
    expect(saves()).toEqual(before);
    expect(saves()[which]).toContain(which === 'v4' ? 'admin-chain' : '--dport 2998 -j DROP');
  });

  test('nftables: loaded twice (replaced), then the Remove line: nft list ruleset is as before', async () => {
    const before = saves();
    for (const flags of [[], ['-4'], ['-6']]) {
      const text = await rulesText(d, ['vpn', '-f', 'nftables', ...flags]);
      d.lab.exec(d.lab.server, 'nft', ['-f', '-'], text);
      const once = saves().nft;
      d.lab.exec(d.lab.server, 'nft', ['-f', '-'], text);
      expect(saves().nft).toBe(once);
      const removed = await sh(d, removeLine(text));
      expect(removed).toMatchObject({ code: 0, stderr: '' });
      expect(saves()).toEqual(before);
    }
    expect(before.nft).toContain('tcp dport 2999 drop');
  });

  describe.each([
    ['iptables and ip6tables', 'iptables'],
    ['nftables (table inet)', 'nftables'],
  ] as const)(`%s: a UDP service (port: ${VPN}/udp) and a UDP knock with a payload`, (_name, format) => {
    let removes: string[] = [];
    beforeAll(async () => {
      removes = [];
      for (const profile of ['vpn', 'sesame']) {
        if (format === 'iptables') {
          for (const [flag, tool] of [['-4', 'iptables-restore'], ['-6', 'ip6tables-restore']] as const) {
            const text = await rulesText(d, [profile, '-f', 'iptables', flag]);
            d.lab.exec(d.lab.server, tool, ['--noflush'], text);
            removes.push(removeLine(text));
          }
        } else {
          const text = await rulesText(d, [profile, '-f', 'nftables']);
          d.lab.exec(d.lab.server, 'nft', ['-f', '-'], text);
          removes.push(removeLine(text));
        }
      }
    });
    afterAll(async () => {
      for (const line of removes) await sh(d, line);
    });

    test.each([
      ['IPv4', 'vpn', SERVER_V4],
      ['IPv6', 'vpn6', SERVER_V6],
    ])('%s: the UDP echo answers after the knock and not before; close closes', async (_f, profile, address) => {
      expect(await udpAnswers(d.lab, address, VPN)).toBe(false);
      await knock(d, ['open', profile]);
      expect(await udpAnswers(d.lab, address, VPN)).toBe(true);
      await knock(d, ['close', profile]);
      expect(await udpAnswers(d.lab, address, VPN)).toBe(false);
    });

    test.each([
      ['IPv4', 'sesame', SERVER_V4],
      ['IPv6', 'sesame6', SERVER_V6],
    ])('%s: the payload must match: the same ports with knock(1)\'s 0x00 byte do not open; the profile does', async (_f, profile, address) => {
      await knock(d, ['-d', '50', address, '7600', '7602:udp']);
      expect(await serviceOpen(d.lab, address, SESAME)).toBe(false);
      await knock(d, ['open', profile]);
      expect(await serviceOpen(d.lab, address, SESAME)).toBe(true);
      await knock(d, ['close', profile]);
      expect(await serviceOpen(d.lab, address, SESAME)).toBe(false);
    });
  });

  test('15 service ports (the most multiport takes) load in iptables and ip6tables; iptables itself refuses 16', async () => {
    const before = saves();
    const ports = Array.from({ length: 15 }, (_, i) => String(3000 + i)).join(',');
    for (const [flag, tool] of [['-4', 'iptables-restore'], ['-6', 'ip6tables-restore']] as const) {
      const text = await rulesText(d, ['wide', '-f', 'iptables', flag, '--port', ports]);
      d.lab.exec(d.lab.server, tool, ['--noflush'], text);
      expect(saves()[flag === '-4' ? 'v4' : 'v6']).toContain(`--dports ${ports} `);
      await sh(d, removeLine(text));
    }
    expect(saves()).toEqual(before);
    const sixteen = await sh(d, `iptables -A INPUT -p tcp -m multiport --dports ${ports},3015 -j ACCEPT`);
    expect(sixteen.stderr).toContain('too many ports specified');
    const refused = await runKnock(['rules', 'wide', '-f', 'iptables', '-4', '--port', `${ports},3015`], { env: d.home.env });
    expect(refused).toMatchObject({ code: 2, stdout: '' });
  });

  test(`open_for at its limit (${MAX_OPEN_FOR} s): iptables, ip6tables and nft take it as printed`, async () => {
    const before = saves();
    const v4 = await rulesText(d, ['far', '-f', 'iptables', '-4']);
    d.lab.exec(d.lab.server, 'iptables-restore', ['--noflush'], v4);
    expect(saves().v4).toContain(`--seconds ${MAX_OPEN_FOR} `);
    const nft = await rulesText(d, ['far', '-f', 'nftables']);
    d.lab.exec(d.lab.server, 'nft', ['-f', '-'], nft);
    expect(d.lab.exec(d.lab.server, 'nft', ['list', 'set', 'inet', 'knock_far', 'opened_v4'])).toContain('timeout 46d7h6m40s');
    await sh(d, removeLine(v4));
    await sh(d, removeLine(nft));
    expect(saves()).toEqual(before);
  });
});

// The README's Debian 12 recipe: a file in /etc/nftables.d, included at the end of a
// /etc/nftables.conf that starts with `flush ruleset`, as the nftables unit loads it at boot and
// on reload (here a copy in a temp dir, loaded in a namespace of its own).
describeLab("knock rules --format nftables: included from Debian 12's nftables.conf (netns, nft -f)", ['nft'], () => {
  let lab: Lab;
  let home: TempHome;
  let dir: string;
  beforeAll(() => {
    lab = Lab.create('rd');
    home = new TempHome();
    home.writeConfig(STORE);
    dir = home.writeFile('etc/nftables.d/.keep', '').replace(/\/\.keep$/, '');
  });
  afterAll(() => {
    lab?.destroy();
    home?.cleanup();
  });

  test('the include loads the door beside the stock filter table, once however often the file is loaded', async () => {
    const rules = await runKnock(['rules', 'vpn', '-f', 'nftables'], { env: home.env });
    expect(rules.code).toBe(0);
    home.writeFile('etc/nftables.d/knock-vpn.nft', rules.stdout);
    // Debian 12's stock /etc/nftables.conf, and the one line the README adds at its end.
    const conf = home.writeFile(
      'etc/nftables.conf',
      '#!/usr/sbin/nft -f\n\nflush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n}\n' +
        `include "${dir}/*.nft"\n`,
    );
    for (let i = 0; i < 2; i++) lab.exec(lab.server, 'nft', ['-f', conf]);
    expect(lab.exec(lab.server, 'nft', ['list', 'tables']).split('\n').filter(Boolean).sort()).toEqual(['table inet filter', 'table inet knock_vpn']);
    expect(lab.exec(lab.server, 'nft', ['list', 'table', 'inet', 'knock_vpn']).match(/chain input/g)).toHaveLength(1);
  });
});
