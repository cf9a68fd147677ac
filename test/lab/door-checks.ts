// What every generated door must do, checked from the client namespace against the server's
// real firewall: closed before, our client opens, close closes, and the seeds' lessons (a wrong
// order, a slow sequence, an ascending scan do not open; a repeated knock and other traffic
// from the same host do not break it), with knock(1) as a second client.
import { existsSync } from 'node:fs';
import type { Lab } from './netns.js';
import { runKnock, runProcess, type TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

/** Small, so that the slow case is fast. knockd counts whole seconds of the clock, so that a
 * seq_timeout of 1 times out when a 100 ms sequence crosses a second: it gets 2. */
export const SEQ_TIMEOUT = 1;
export const SERVICE = 2222;
export const ICMP_SERVICE = 2223;

/** An ascending sequence with gaps: a scan of 6998..7006 passes its ports in order. */
export function doorProfiles(v4: string, v6: string, seqTimeout = SEQ_TIMEOUT): string {
  const door = (host: string, port: number, open: string, close: string) =>
    `    host: "${host}"\n    port: ${port}\n    open: ${open}\n    close: ${close}\n    delay: 50\n    seq_timeout: ${seqTimeout}\n`;
  return [
    'profiles:',
    `  door:\n${door(v4, SERVICE, '[7000, "7002:udp", 7004]', '[7003, 7001]')}`,
    `  door6:\n${door(v6, SERVICE, '[7000, "7002:udp", 7004]', '[7003, 7001]')}`,
    `  ping:\n${door(v4, ICMP_SERVICE, '[7100, "icmp:64", 7102]', '[7101]')}`,
    `  ping6:\n${door(v6, ICMP_SERVICE, '[7100, "icmp:64", 7102]', '[7101]')}`,
  ].join('\n');
}

export interface DoorLab {
  lab: Lab;
  home: TempHome;
}

export function serviceOpen(lab: Lab, address: string, port = SERVICE): Promise<boolean> {
  return runProcess('ip', ['netns', 'exec', lab.client, 'nc', '-z', '-w', '2', address, String(port)]).then((r) => r.code === 0);
}

export async function knock(d: DoorLab, args: string[]): Promise<void> {
  const result = await runKnock(['-q', ...args], { netns: d.lab.client, env: d.home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

/** Debian's knock(1), knockd's own client: one packet per port, `-d` ms apart. */
export async function knockdClient(d: DoorLab, args: string[]): Promise<void> {
  const result = await runProcess('ip', ['netns', 'exec', d.lab.client, '/usr/bin/knock', ...args]);
  expect(result.code).toBe(0);
}

export const hasKnockdClient = () => existsSync('/usr/bin/knock');

/** A server that acts on a knock after its packets pass (knockd runs a command). */
export interface ReactingServer {
  /** A place in the server's record, taken before the knocks. */
  mark(): number;
  /** Resolves once the server has judged every knock sent so far: true if, since `since`, it
   * started nothing for them. */
  startedNothing(address: string, since: number): Promise<boolean>;
}

/**
 * "Does not open", checked on events: a reacting server has judged the knocks sent since `since`
 * and started nothing, and the service does not answer. Never after a fixed wait, so a door that
 * opens late fails it. Without a reacting server the firewall acts on each packet as it passes.
 */
export async function staysClosed(lab: Lab, address: string, server?: { at: ReactingServer; since: number }, port = SERVICE): Promise<boolean> {
  if (server && !(await server.at.startedNothing(address, server.since))) return false;
  return !(await serviceOpen(lab, address, port));
}

export interface ScenarioOptions {
  address: string;
  profile: 'door' | 'door6';
  /** knockd reacts after its command ran, not when the packet passes. */
  eventual?: boolean;
  /** For an eventual door: how to tell the server has judged the knocks (see staysClosed). */
  server?: ReactingServer;
  /** knockd drops an attempt on a repeated knock (its own rule, not ours): skip that check. */
  repeatKeepsStage?: boolean;
  /** The profiles' seq_timeout, when not SEQ_TIMEOUT. */
  seqTimeout?: number;
}

export function doorScenarios(get: () => DoorLab, options: ScenarioOptions): void {
  const { address, profile } = options;
  const seqTimeout = options.seqTimeout ?? SEQ_TIMEOUT;
  const is = async (expected: boolean) => {
    const d = get();
    if (!options.eventual) return serviceOpen(d.lab, address);
    // knockd runs its command a moment after the knock: polled until it answers as expected.
    const settled = await until(async () => (await serviceOpen(d.lab, address)) === expected, 3000, 100);
    return settled ? expected : !expected;
  };
  if (options.eventual && !options.server) throw new Error('an eventual door needs its server for the "does not open" checks');
  /** Runs the knocks, then says whether the door stayed closed (see staysClosed). */
  const knocksLeaveClosed = async (...knocks: string[][]) => {
    const since = options.server?.mark() ?? 0;
    for (const args of knocks) await knock(get(), args);
    return staysClosed(get().lab, address, options.server && { at: options.server, since });
  };
  const closedAgain = async () => {
    await knock(get(), ['close', profile]);
    expect(await is(false)).toBe(false);
  };

  test('closed before; our client opens (and a second connection gets in); close closes', async () => {
    expect(await is(false)).toBe(false);
    await knock(get(), ['open', profile]);
    expect(await is(true)).toBe(true);
    expect(await serviceOpen(get().lab, address)).toBe(true);
    await closedAgain();
  });

  test('the right knocks in the wrong order do not open', async () => {
    expect(await knocksLeaveClosed(['-d', '50', address, '7002:udp', '7000', '7004'])).toBe(true);
  });

  test(`a sequence slower than seq_timeout (${seqTimeout} s) does not open`, async () => {
    expect(await knocksLeaveClosed(['-d', String(seqTimeout * 1000 + 700), address, '7000', '7002:udp', '7004'])).toBe(true);
    // Control: the same knocks at the profile's pace do open.
    await knock(get(), ['open', profile]);
    expect(await is(true)).toBe(true);
    await closedAgain();
  });

  test('an ascending scan of the ports around the sequence (TCP 6998-7006, then UDP) does not open', async () => {
    const tcp = Array.from({ length: 9 }, (_, i) => String(6998 + i));
    const mixed = tcp.flatMap((p) => [p, `${p}:udp`]);
    expect(await knocksLeaveClosed(['-d', '5', address, ...tcp], ['-d', '5', address, ...tcp.map((p) => `${p}:udp`)], ['-d', '5', address, ...mixed])).toBe(true);
  });

  if (options.repeatKeepsStage !== false) {
    test('a repeat of the knock just sent (nc and nmap send two) keeps the stage', async () => {
      await knock(get(), ['-d', '50', address, '7000', '7000', '7002:udp', '7002:udp', '7004', '7004']);
      expect(await is(true)).toBe(true);
      await closedAgain();
    });
  }

  test('other traffic from the same host does not break an open door; the close sequence still works', async () => {
    await knock(get(), ['open', profile]);
    expect(await is(true)).toBe(true);
    await knock(get(), ['-d', '5', address, '80', '443', '53:udp', '7000', '7004', '7002:udp']);
    expect(await serviceOpen(get().lab, address)).toBe(true);
    await closedAgain();
  });

  test("knock(1), knockd's own client, opens the TCP/UDP profile", async () => {
    if (!hasKnockdClient()) {
      if (process.env.CI) throw new Error('/usr/bin/knock missing (Debian knockd): CI must run this');
      return;
    }
    const d = get();
    await knockdClient(d, [...(profile === 'door6' ? ['-6'] : []), '-d', '50', address, '7000', '7002:udp', '7004']);
    expect(await is(true)).toBe(true);
    await closedAgain();
  });
}

/**
 * ICMP knocks matched by size (iptables and nftables; knockd cannot match ICMP): the `ping` and
 * `ping6` profiles open with an echo of 64 bytes (length 92, or 112 on IPv6), and 65 does not.
 */
export function icmpScenarios(get: () => DoorLab, v4: string, v6: string): void {
  test.each([
    ['IPv4: an echo of 64 bytes, matched as length 92', 'ping', v4],
    ['IPv6: an echo of 64 bytes, matched as length 112', 'ping6', v6],
  ])('%s, opens; close closes', async (_what, profile, address) => {
    const d = get();
    expect(await serviceOpen(d.lab, address, ICMP_SERVICE)).toBe(false);
    // Control: 65 bytes is one byte too many.
    await knock(d, ['-d', '50', address, '7100', 'icmp:65', '7102']);
    expect(await serviceOpen(d.lab, address, ICMP_SERVICE)).toBe(false);
    await knock(d, ['open', profile]);
    expect(await serviceOpen(d.lab, address, ICMP_SERVICE)).toBe(true);
    await knock(d, ['close', profile]);
    expect(await serviceOpen(d.lab, address, ICMP_SERVICE)).toBe(false);
  });
}
