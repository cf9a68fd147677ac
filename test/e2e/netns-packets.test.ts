// On the wire: exactly one packet per knock, in order, against a server that drops everything.
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4, SERVER_V6, type Packet } from '../lab/netns.js';
import { runKnock, withoutPingWarning } from '../helpers/run-knock.js';

const fromClient = (packets: Packet[], server: string) => packets.filter((p) => p.dst === server);

describeLab('one packet per knock (netns, tcpdump)', ['tcpdump', 'iptables', 'ip6tables', 'ping'], () => {
  let lab: Lab;
  beforeAll(() => {
    lab = Lab.create('kp');
    // A silent server: every knock is dropped, so nothing answers and nothing hurries the client.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    lab.exec(lab.server, 'ip6tables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '-j', 'DROP']);
    lab.exec(lab.server, 'ip6tables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'udp', '-j', 'DROP']);
    lab.exec(lab.server, 'ip6tables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'ipv6-icmp', '--icmpv6-type', 'echo-request', '-j', 'DROP']);
  });
  afterAll(() => lab?.destroy());

  test('IPv4, 1.2 s apart: one SYN (no retransmit, RST or FIN), one datagram, one echo of the asked size', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
    const result = await runKnock(['-d', '1200', SERVER_V4, '7000', '8000:udp', 'icmp:100', '9000'], { netns: lab.client });
    expect(withoutPingWarning(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    // Wait past the kernel's first SYN retransmit (~1 s) for the last knock.
    const packets = fromClient(await capture.stop(1500), SERVER_V4);
    expect(packets.map((p) => [p.proto, p.dport ?? null, p.flags ?? null])).toEqual([
      ['tcp', 7000, 'S'],
      ['udp', 8000, null],
      ['icmp', null, null],
      ['tcp', 9000, 'S'],
    ]);
    expect(packets[2]!.line).toContain('length 108'); // ICMP header 8 + 100 payload bytes
    const gaps = packets.slice(1).map((p, i) => (p.time - packets[i]!.time) * 1000);
    for (const gap of gaps) expect(gap).toBeGreaterThan(1100);
  });

  test('IPv6 with -6: the same single packets to the one resolved address', async () => {
    const capture = await Capture.start(lab, lab.server, 'ip6 and not icmp6 or (icmp6 and ip6[40] == 128)');
    const result = await runKnock(['-6', '-d', '20', SERVER_V6, '7000', '8000:udp', 'icmp:64', '9000'], { netns: lab.client });
    expect(result.code).toBe(0);
    const packets = fromClient(await capture.stop(1500), SERVER_V6);
    expect(packets.map((p) => [p.proto, p.dport ?? null, p.flags ?? null])).toEqual([
      ['tcp', 7000, 'S'],
      ['udp', 8000, null],
      ['icmp6', null, null],
      ['tcp', 9000, 'S'],
    ]);
  });

  test('by net where libuv handles are not used (--pending-deprecation): the same single SYNs, IPv4 and IPv6, no warning', async () => {
    const env = { ...process.env, NODE_OPTIONS: '--pending-deprecation' };
    for (const [server, filter] of [
      [SERVER_V4, `src host ${CLIENT_V4} and tcp`],
      [SERVER_V6, 'ip6 and tcp'],
    ] as const) {
      const capture = await Capture.start(lab, lab.server, filter);
      const result = await runKnock(['-d', '20', server, '7000', '7001'], { netns: lab.client, env });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const packets = fromClient(await capture.stop(1500), server);
      expect(packets.map((p) => [p.proto, p.dport ?? null, p.flags ?? null])).toEqual([
        ['tcp', 7000, 'S'],
        ['tcp', 7001, 'S'],
      ]);
    }
  });

  test('a bad token at the end means nothing is sent', async () => {
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
    const result = await runKnock([SERVER_V4, '7000', '8000:udp', '70000'], { netns: lab.client });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^knock: port 70000 is out of range \(1-65535\)\n$/);
    expect(await capture.stop(200)).toEqual([]);
  });
});
