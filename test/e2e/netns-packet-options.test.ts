// On the wire, per packet option: the TTL / hop limit, the source address (knocks and the
// proxy's connection), both families in order, the :connect handshake and UDP payloads.
import { Capture, CLIENT_V4, CLIENT_V6, describeLab, Lab, SERVER_V4, SERVER_V6, type Packet } from '../lab/netns.js';
import { removeNetnsHosts, writeNetnsHosts } from '../lab/netns-hosts.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const SOURCE_V4 = '198.18.0.11';
const SOURCE_V6 = '2001:db8:0:1::11';
const NAME = 'dual.test';
/** Knock packets from the client. (tcpdump's `inbound` missed the first packet on a new veth.) */
const FROM_CLIENT = `not src host ${SERVER_V4} and not src host ${SERVER_V6} and (tcp or udp or icmp or (icmp6 and ip6[40] == 128))`;

/** tcpdump -v output as one entry per packet (IPv4 headers take two lines). */
function packetsOf(text: string): string[] {
  return text
    .split('\n')
    .reduce<string[]>((all, line) => {
      if (/^\d+\.\d+ /.test(line)) all.push(line);
      else if (all.length) all[all.length - 1] += ` ${line.trim()}`;
      return all;
    }, [])
    .filter(Boolean);
}

const ttlOf = (entry: string) => Number(/\b(?:ttl|hlim) (\d+)/.exec(entry)?.[1]);
const kindOf = (entry: string) =>
  / ICMP6?,? echo request/.test(entry) ? 'echo' : /Flags \[S\]/.test(entry) ? 'syn' : /UDP, length|proto UDP|next-header UDP/.test(entry) ? 'udp' : 'other';

describeLab('packet options on the wire (netns, tcpdump)', ['tcpdump', 'iptables', 'ip6tables'], () => {
  let lab: Lab;
  const home = new TempHome();
  beforeAll(() => {
    lab = Lab.create('ko');
    lab.exec(lab.client, 'ip', ['addr', 'add', `${SOURCE_V4}/24`, 'dev', 'veth0']);
    lab.exec(lab.client, 'ip', ['-6', 'addr', 'add', `${SOURCE_V6}/64`, 'dev', 'veth0', 'nodad']);
    // Neighbours resolved first: a knock must not wait behind a first neighbour solicitation.
    lab.exec(lab.client, 'ping', ['-c', '1', '-W', '3', SERVER_V4]);
    lab.exec(lab.client, 'ping', ['-6', '-c', '1', '-W', '3', SERVER_V6]);
    writeNetnsHosts(lab.client, `${SERVER_V4} ${NAME}\n${SERVER_V6} ${NAME}\n`);
    // TCP and UDP knocks dropped, as by a knock server's firewall; echo requests answered.
    for (const cmd of ['iptables', 'ip6tables']) {
      lab.exec(lab.server, cmd, ['-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '--dport', '7000:7999', '-j', 'DROP']);
      lab.exec(lab.server, cmd, ['-A', 'INPUT', '-i', 'veth0', '-p', 'udp', '--dport', '8000:8999', '-j', 'DROP']);
    }
  });
  afterAll(() => {
    if (lab) removeNetnsHosts(lab.client);
    lab?.destroy();
    home.cleanup();
  });

  test('--ttl 7: every protocol leaves with TTL 7, and with -6 hop limit 7', async () => {
    const capture = await Capture.start(lab, lab.server, FROM_CLIENT, 'veth0', ['-v']);
    const v4 = await runKnock(['--ttl', '7', '-d', '20', SERVER_V4, '7000', '8000:udp', 'icmp:20', '7001'], { netns: lab.client });
    const v6 = await runKnock(['-6', '--ttl', '9', '-d', '20', SERVER_V6, '7000', '8000:udp', 'icmp:20'], { netns: lab.client });
    expect([v4.code, v4.stderr, v6.code, v6.stderr]).toEqual([0, '', 0, '']);
    const seen = packetsOf(await capture.stopText(300));
    expect(seen.map((p) => [kindOf(p), ttlOf(p)])).toEqual([
      ['syn', 7],
      ['udp', 7],
      ['echo', 7],
      ['syn', 7],
      ['syn', 9],
      ['udp', 9],
      ['echo', 9],
    ]);
  });

  test('a profile ttl, and --ttl out of range refused before anything is sent', async () => {
    const config = home.writeConfig(`profiles:\n  t:\n    host: ${SERVER_V4}\n    ttl: 3\n    open: [7000, "8000:udp"]\n`);
    const capture = await Capture.start(lab, lab.server, `${FROM_CLIENT} and (tcp or udp)`, 'veth0', ['-v']);
    const ok = await runKnock(['--config', config, 't'], { netns: lab.client });
    const bad = await runKnock(['--ttl', '256', SERVER_V4, '7000'], { netns: lab.client });
    expect(ok.code).toBe(0);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("knock: --ttl '256' is not a TTL (1-255)\n");
    expect(packetsOf(await capture.stopText(300)).map(ttlOf)).toEqual([3, 3]);
  });

  test('--source ADDRESS and --source INTERFACE: every knock leaves from there; a foreign source sends nothing', async () => {
    const capture = await Capture.start(lab, lab.server, FROM_CLIENT);
    const byAddress = await runKnock(['--source', SOURCE_V4, '-d', '20', SERVER_V4, '7000', '8000:udp', 'icmp'], { netns: lab.client });
    const byInterface = await runKnock(['--source', 'veth0', '-d', '20', SERVER_V4, '7000', '8000:udp', 'icmp'], { netns: lab.client });
    const v6 = await runKnock(['-6', '--source', SOURCE_V6, '-d', '20', SERVER_V6, '7000', '8000:udp', 'icmp'], { netns: lab.client });
    const foreign = await runKnock(['--source', '198.18.0.99', SERVER_V4, '7000', '8000:udp', 'icmp'], { netns: lab.client });
    const wrongFamily = await runKnock(['-6', '--source', SOURCE_V4, SERVER_V6, '7000'], { netns: lab.client });
    expect([byAddress.code, byInterface.code, v6.code]).toEqual([0, 0, 0]);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toBe('knock: source 198.18.0.99 is not an address of this machine (see ip addr, or give an interface name)\n');
    expect(wrongFamily.code).toBe(1);
    expect(wrongFamily.stderr).toMatch(/^knock: source 198\.18\.0\.11 is an IPv4 address, but the knocks go to an IPv6 address\n$/);
    const packets = await capture.stop(300);
    expect(packets.map((p) => p.src)).toEqual([SOURCE_V4, SOURCE_V4, SOURCE_V4, CLIENT_V4, CLIENT_V4, CLIENT_V4, SOURCE_V6, SOURCE_V6, SOURCE_V6]);
  });

  test("a profile's source is also where the proxy's connection comes from", async () => {
    const config = home.writeConfig(`profiles:\n  s:\n    host: ${SERVER_V4}\n    port: 2222\n    source: ${SOURCE_V4}\n    open: [7000, 7001]\n`);
    const server = lab.spawn(lab.server, process.execPath, ['-e', "require('net').createServer((s) => s.end('hello\\n')).listen(2222, () => console.log('up'))"]);
    await new Promise((resolve) => server.stdout!.once('data', resolve));
    const capture = await Capture.start(lab, lab.server, `${FROM_CLIENT} and tcp[tcpflags] & tcp-syn != 0`);
    const result = await runKnock(['--config', config, 'proxy', 's', '2222'], { netns: lab.client, input: '' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('hello\n');
    const packets = await capture.stop(300);
    expect(packets.map((p) => [p.src, p.dport])).toEqual([
      [SOURCE_V4, 7000],
      [SOURCE_V4, 7001],
      [SOURCE_V4, 2222],
    ]);
    server.kill();
  });

  test('-4 -6 and family: both knock the IPv4 then the IPv6 address, each sequence whole on its schedule', async () => {
    const capture = await Capture.start(lab, lab.server, FROM_CLIENT);
    const flags = await runKnock(['-4', '-6', '-d', '100', NAME, '7000', '8000:udp', 'icmp'], { netns: lab.client });
    const config = home.writeConfig(`profiles:\n  dual:\n    host: ${NAME}\n    family: both\n    delay: 100\n    open: [7000, "8000:udp", icmp]\n`);
    const profile = await runKnock(['--config', config, 'dual'], { netns: lab.client });
    expect([flags.code, flags.stderr, profile.code, profile.stderr]).toEqual([0, '', 0, '']);
    expect(flags.stdout).toBe(`knocked ${NAME} (${SERVER_V4}): 3 knocks in ${/in (\S+) ms/.exec(flags.stdout)![1]} ms\nknocked ${NAME} (${SERVER_V6}): 3 knocks in ${/in (\S+) ms\n$/.exec(flags.stdout)![1]} ms\n`);
    const packets = await capture.stop(300);
    const sequence = [
      [SERVER_V4, 'tcp'],
      [SERVER_V4, 'udp'],
      [SERVER_V4, 'icmp'],
      [SERVER_V6, 'tcp'],
      [SERVER_V6, 'udp'],
      [SERVER_V6, 'icmp6'],
    ];
    expect(packets.map((p) => [p.dst, p.proto])).toEqual([...sequence, ...sequence]);
    // Within each family the gaps are the schedule's; the IPv6 run starts after the IPv4 one.
    for (const start of [0, 3, 6, 9]) {
      const run = packets.slice(start, start + 3);
      for (let i = 1; i < 3; i++) expect((run[i]!.time - run[i - 1]!.time) * 1000).toBeGreaterThan(90);
    }
  });

  test('PORT:connect completes the handshake, then a FIN; the next knock is one SYN again', async () => {
    const server = lab.spawn(lab.server, process.execPath, ['-e', "require('net').createServer((s) => s.resume()).listen(6001, () => console.log('up'))"]);
    await new Promise((resolve) => server.stdout!.once('data', resolve));
    const capture = await Capture.start(lab, lab.server, `tcp and host ${CLIENT_V4}`);
    const result = await runKnock(['-d', '50', SERVER_V4, '6001:connect', '7000'], { netns: lab.client });
    expect([result.code, result.stderr]).toEqual([0, '']);
    const packets: Packet[] = await capture.stop(1500);
    const to6001 = packets.filter((p) => p.dport === 6001 || (p.src === SERVER_V4 && p.line.includes(`${SERVER_V4}.6001 >`)));
    // SYN, SYN-ACK, ACK, then our FIN (and the server's answer): no RST.
    expect(to6001.slice(0, 4).map((p) => p.flags)).toEqual(['S', 'S.', '.', 'F.']);
    expect(to6001.some((p) => p.flags?.includes('R'))).toBe(false);
    expect(packets.filter((p) => p.dport === 7000).map((p) => p.flags)).toEqual(['S']);
    server.kill();
  });

  test('UDP payloads from the object form arrive byte for byte; the default stays one 0x00', async () => {
    const listener = lab.spawn(lab.server, process.execPath, [
      '-e',
      "const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => console.log(r.port > 0 ? m.toString('hex') || '(empty)' : '')); s.bind(9500, () => console.log('up'))",
    ]);
    let out = '';
    listener.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('up\n') ? resolve() : setTimeout(check, 20));
      check();
    });
    const config = home.writeConfig(
      `profiles:\n  p:\n    host: ${SERVER_V4}\n    delay: 20\n    open:\n      - {port: 9500, protocol: udp, payload: "hex:DEADbeef"}\n      - {port: 9500, protocol: udp, payload: "text:open sesame"}\n      - "9500:udp"\n`,
    );
    const dry = await runKnock(['--config', config, '--dry-run', 'p'], { netns: lab.client });
    expect(dry.stdout).toContain('udp 9500, 4 bytes hex:deadbeef');
    const result = await runKnock(['--config', config, 'p'], { netns: lab.client });
    expect([result.code, result.stderr]).toEqual([0, '']);
    // knock has exited; a sentinel datagram sent now to the same listener comes after all it
    // sent, so once the listener prints the sentinel, what it printed before is all there was.
    const sentinel = Buffer.from('sentinel').toString('hex');
    lab.exec(lab.client, process.execPath, ['-e', `const s = require('dgram').createSocket('udp4'); s.send('sentinel', 9500, '${SERVER_V4}', () => s.close())`]);
    expect(await until(() => out.includes(`${sentinel}\n`), 10000)).toBe(true);
    const seen = out.split('\n').filter((l) => l && l !== 'up');
    expect(seen.slice(0, seen.indexOf(sentinel))).toEqual(['deadbeef', Buffer.from('open sesame').toString('hex'), '00']);
    listener.kill();
  });
});
