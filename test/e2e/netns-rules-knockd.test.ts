// `knock rules --format knockd` run by a real knockd (Debian's, knockd -c) in a server namespace
// whose own rules reject the service port: the open section's command lets the knocker in.
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { until } from '../helpers/until.js';
import { Knockd } from '../lab/knockd.js';
import { startTcpService } from '../lab/recent-knock.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { doorProfiles, doorScenarios, knock, SERVICE, serviceOpen, type DoorLab, type ReactingServer } from '../lab/door-checks.js';
import { connectionAhead, ECHO_SERVICE, openForProfile, startEchoService } from '../lab/echo-service.js';
import { startUdpEcho, udpAnswers } from '../lab/udp-echo.js';
import { runProcess } from '../helpers/run-knock.js';
import { MAX_OPEN_FOR } from '../../src/rules/door.js';
import { writeFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const VPN = 2230;
const MARKER = 7701;
const MORE = `
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
  far:
    open: [7700, 7701]
    open_for: ${MAX_OPEN_FOR}
  only4:
    host: "${SERVER_V4}"
    family: 4
    port: ${2222}
    open: [7900, "7902:udp"]
    close: [7901]
    delay: 50
    seq_timeout: 2
  gw.x:
    open: [7910, 7911]
  gw.x-2:
    open: [7920, 7921]
`;

describeLab('knock rules --format knockd (netns, knockd -c)', ['knockd', 'iptables', 'nc'], () => {
  const d = {} as DoorLab;
  const get = () => d;
  let knockd: Knockd;

  async function rules(profile: string): Promise<string> {
    const result = await runKnock(['rules', profile, '--format', 'knockd'], { env: d.home.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  beforeAll(async () => {
    d.lab = Lab.create('rk');
    d.home = new TempHome();
    d.home.writeConfig(doorProfiles(SERVER_V4, SERVER_V6, 2) + openForProfile(SERVER_V4, 2) + MORE);
    // The admin's rules, as the header says, on both families: established traffic passes, the
    // services do not.
    for (const tool of ['iptables', 'ip6tables']) {
      const ipt = (...args: string[]) => d.lab.exec(d.lab.server, tool, args);
      ipt('-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
      for (const port of [SERVICE, ECHO_SERVICE]) ipt('-A', 'INPUT', '-p', 'tcp', '--dport', String(port), '-j', 'REJECT', '--reject-with', 'tcp-reset');
      ipt('-A', 'INPUT', '-p', 'udp', '--dport', String(VPN), '-j', 'DROP');
    }
    const conf = `[options]\n\tlogfile = DIR/knockd.log\n\n${await rules('door')}\n${await rules('slow')}\n${await rules('vpn')}\n${await rules('far')}\n${await rules('only4')}`;
    knockd = await Knockd.start(d.lab, conf);
    await startTcpService(d.lab, SERVICE);
    await startEchoService(d.lab);
    await startUdpEcho(d.lab, VPN);
  });
  afterAll(() => {
    if (process.env.KNOCKD_LOG) console.log(knockd?.output);
    knockd?.stop();
    d.lab?.destroy();
    d.home?.cleanup();
  });


  // The marker: far's second port, in knockd's filter, starts no sequence.
  const server: ReactingServer = {
    mark: () => knockd.mark(),
    startedNothing: (address, since) => knockd.startedNothing(d.lab, d.home.env, address, MARKER, since),
  };
  describe('IPv4', () => doorScenarios(get, { address: SERVER_V4, profile: 'door', eventual: true, server, seqTimeout: 2, repeatKeepsStage: false }));
  // The same sections: knockd 0.8 sniffs IPv6 and runs command_6 (ip6tables) for an IPv6 knocker.
  describe('IPv6 (command_6)', () => doorScenarios(get, { address: SERVER_V6, profile: 'door6', eventual: true, server, seqTimeout: 2, repeatKeepsStage: false }));

  test('an IPv6 open runs ip6tables with the IPv6 address, never iptables with it', async () => {
    await knock(d, ['open', 'door6']);
    expect(await until(() => serviceOpen(d.lab, SERVER_V6), 3000, 100)).toBe(true);
    expect(d.lab.exec(d.lab.server, 'ip6tables', ['-S', 'INPUT'])).toContain(`-A INPUT -s 2001:db8:0:1::1/128 -p tcp -m tcp --dport ${SERVICE} -j ACCEPT`);
    await knock(d, ['close', 'door6']);
    expect(await until(async () => !(await serviceOpen(d.lab, SERVER_V6)), 3000, 100)).toBe(true);
    expect(knockd.output).not.toMatch(/command returned non-zero status/);
  });

  test('family: 4: an IPv6 knock of the sequence runs nothing (an empty command_6), IPv4 still opens', async () => {
    const log = knockd.output.length;
    await knock(d, ['-d', '50', SERVER_V6, '7900', '7902:udp']);
    expect(await until(() => knockd.output.slice(log).includes('only4: OPEN SESAME'), 3000)).toBe(true);
    expect(await server.startedNothing(SERVER_V6, log)).toBe(true);
    expect(knockd.output.slice(log)).not.toMatch(/only4: running command|command returned non-zero/);
    expect(await serviceOpen(d.lab, SERVER_V6)).toBe(false);
    await knock(d, ['open', 'only4']);
    expect(await until(() => serviceOpen(d.lab, SERVER_V4), 3000, 100)).toBe(true);
    await knock(d, ['close', 'only4']);
    expect(await until(async () => !(await serviceOpen(d.lab, SERVER_V4)), 3000, 100)).toBe(true);
  });

  test.each([
    ['IPv4', 'vpn', SERVER_V4],
    ['IPv6', 'vpn6', SERVER_V6],
  ])('%s: a UDP service (port: 2230/udp): the echo answers after the knock, not before; close closes', async (_f, profile, address) => {
    expect(await udpAnswers(d.lab, address, VPN)).toBe(false);
    await knock(d, ['open', profile]);
    expect(await until(() => udpAnswers(d.lab, address, VPN), 3000, 100)).toBe(true);
    await knock(d, ['close', profile]);
    expect(await until(async () => !(await udpAnswers(d.lab, address, VPN)), 3000, 100)).toBe(true);
  });

  test(`open_for at its limit: knockd reads cmd_timeout ${MAX_OPEN_FOR} as printed`, () => {
    expect(knockd.output).toContain(`config: open-far: cmd_timeout: ${MAX_OPEN_FOR}`);
  });

  test("the Remove line, run by sh -c on a copy of the file: knockd.conf is what it was before the sections were added", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-remove-'));
    try {
      const file = path.join(dir, 'knockd.conf');
      const before = '[options]\n\tlogfile = /var/log/knockd.log\n\n[openSSH]\n\tsequence = 1,2,3\n\tcommand = true\n';
      const texts = [await rules('door'), await rules('gw.x'), await rules('slow'), await rules('vpn')];
      // A name with a dot, beside one that the dot, read as any character, would also match.
      const kept = await rules('gw.x-2');
      writeFileSync(file, before + texts.join('') + kept);
      for (const text of texts) {
        const line = text.split('\n').find((l) => l.startsWith('# Remove: '))!.slice('# Remove: '.length);
        // As written, but for the path of this copy and without restarting the system's knockd.
        expect(line).toContain(' /etc/knockd.conf && systemctl restart knockd');
        const command = line.replace(' /etc/knockd.conf && systemctl restart knockd', ` ${file}`);
        expect(await runProcess('sh', ['-c', command])).toMatchObject({ code: 0, stderr: '' });
      }
      expect(readFileSync(file, 'utf8')).toBe(before + kept);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the open command inserts at the top of INPUT, ahead of the DROP; close takes the same rule out', async () => {
    await knock(d, ['open', 'door']);
    expect(await until(() => serviceOpen(d.lab, SERVER_V4), 3000, 100)).toBe(true);
    const first = d.lab.exec(d.lab.server, 'iptables', ['-S', 'INPUT']).split('\n').filter((l) => l.startsWith('-A INPUT'))[0];
    expect(first).toBe(`-A INPUT -s 198.18.0.1/32 -p tcp -m tcp --dport ${SERVICE} -j ACCEPT`);
    // A second open does not stack a second rule, which one close would leave behind.
    const since = knockd.mark();
    await knock(d, ['open', 'door']);
    // The events: knockd has judged the second open and started its command (the control: a
    // knockd that ignored it would say it started nothing), and that command has finished.
    expect(await server.startedNothing(SERVER_V4, since)).toBe(false);
    expect(await knockd.commandsDone()).toBe(true);
    const mine = () => d.lab.exec(d.lab.server, 'iptables', ['-S', 'INPUT']).split('\n').filter((l) => l.includes('198.18.0.1/32'));
    expect(mine()).toEqual([first]);
    await knock(d, ['close', 'door']);
    expect(await until(async () => !(await serviceOpen(d.lab, SERVER_V4)), 3000, 100)).toBe(true);
    expect(d.lab.exec(d.lab.server, 'iptables', ['-S', 'INPUT'])).not.toContain('198.18.0.1');
  });

  test('open_for (start_command, cmd_timeout, stop_command): shut for new connections after it, an established one stays', async () => {
    expect(await serviceOpen(d.lab, SERVER_V4, ECHO_SERVICE)).toBe(false);
    // The held connection's node is started before the knock: a slow start cannot miss the window.
    const held = await connectionAhead(d.lab, SERVER_V4, 2500);
    await knock(d, ['open', 'slow']);
    expect(await until(() => serviceOpen(d.lab, SERVER_V4, ECHO_SERVICE), 3000, 100)).toBe(true);
    expect(await held.connect()).toBe('connected');
    // The event: new connections are refused again once stop_command has run (polled, from open).
    expect(await until(async () => !(await serviceOpen(d.lab, SERVER_V4, ECHO_SERVICE)), 3000, 100)).toBe(true);
    expect(await held.answer).toBe('echo after 2500 ms');
  });

  test('a profile with an ICMP knock is refused, naming the knock (exit 2)', async () => {
    const result = await runKnock(['rules', 'ping', '--format', 'knockd'], { env: d.home.env });
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe("knock: profile 'ping': open knock 2 (icmp:64) is ICMP, which knockd cannot match; use --format iptables or nftables\n");
  });
});
