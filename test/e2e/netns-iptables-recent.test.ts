// Against an iptables `recent` state machine (seed style) guarding a TCP service: closed before,
// open after `knock open`, closed after `knock close`; the ICMP knock is matched by its size.
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { installRecentKnock, startTcpService, type RecentKnockSpec } from '../lab/recent-knock.js';
import { runKnock, runProcess, TempHome, withoutPingWarning } from '../helpers/run-knock.js';

const SERVICE = 2222;
const spec = (family: 4 | 6): RecentKnockSpec => ({ family, tcp: 7000, udp: 8000, icmpSize: 64, closePort: 9999, servicePort: SERVICE, seconds: 10 });

const CONFIG = `
profiles:
  wall:
    host: ${SERVER_V4}
    open: [7000, "8000:udp", "icmp:64"]
    close: [9999]
    delay: 50
  wall6:
    host: "${SERVER_V6}"
    open: [7000, "8000:udp", "icmp:64"]
    close: [9999]
    delay: 50
`;

describeLab('iptables recent state machine (netns)', ['iptables', 'ip6tables', 'nc', 'ping'], () => {
  let lab: Lab;
  const home = new TempHome();

  /** Whether a TCP connection from the client to the service completes (one nc -z try). */
  async function serviceOpen(address: string): Promise<boolean> {
    const result = await runProcess('ip', ['netns', 'exec', lab.client, 'nc', '-z', '-w', '2', address, String(SERVICE)]);
    return result.code === 0;
  }

  async function knock(args: string[]) {
    const result = await runKnock(args, { netns: lab.client, env: home.env });
    expect(withoutPingWarning(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    return result;
  }

  beforeAll(async () => {
    lab = Lab.create('cl');
    installRecentKnock(lab, spec(4));
    installRecentKnock(lab, spec(6));
    await startTcpService(lab, SERVICE);
    home.writeConfig(CONFIG);
  });
  afterAll(() => {
    lab?.destroy();
    home.cleanup();
  });

  test('IPv4: closed, then open after knock open, then closed after knock close', async () => {
    expect(await serviceOpen(SERVER_V4)).toBe(false);
    const opened = await knock(['open', 'wall']);
    expect(opened.stdout).toMatch(/^knocked wall: 3 knocks in/);
    expect(await serviceOpen(SERVER_V4)).toBe(true);
    // Still open for a second connection: the state machine keeps the address until close.
    expect(await serviceOpen(SERVER_V4)).toBe(true);
    const closed = await knock(['close', 'wall']);
    expect(closed.stdout).toMatch(/^closed wall: 1 knock in/);
    expect(await serviceOpen(SERVER_V4)).toBe(false);
  });

  test('control: an ICMP knock of the wrong size (65 bytes, length 93) does not open', async () => {
    await knock(['-d', '50', SERVER_V4, '7000', '8000:udp', 'icmp:65']);
    expect(await serviceOpen(SERVER_V4)).toBe(false);
    // ...and the right size from the same place does, so the difference is the size alone.
    await knock(['-d', '50', SERVER_V4, '7000', '8000:udp', 'icmp:64']);
    expect(await serviceOpen(SERVER_V4)).toBe(true);
    await knock(['close', 'wall']);
    expect(await serviceOpen(SERVER_V4)).toBe(false);
  });

  test('IPv6 (ip6tables, ICMPv6 echo matched as SIZE+48): closed, open, closed', async () => {
    expect(await serviceOpen(SERVER_V6)).toBe(false);
    await knock(['wall6']);
    expect(await serviceOpen(SERVER_V6)).toBe(true);
    await knock(['close', 'wall6']);
    expect(await serviceOpen(SERVER_V6)).toBe(false);
  });
});
