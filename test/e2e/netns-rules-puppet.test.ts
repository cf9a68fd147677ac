// `knock rules --format puppet` applied with Debian's puppet and puppetlabs-firewall 3.4.0
// (`puppet apply`, no master) in a real server namespace beside the admin's own rules, a TCP
// service behind it, knocked from the client over IPv4 and IPv6 by our client and by knock(1);
// applied again (no change), and removed as its header says (the saved rulesets as before).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { startTcpService } from '../lab/recent-knock.js';
import { runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { doorProfiles, doorScenarios, ICMP_SERVICE, icmpScenarios, SERVICE, type DoorLab } from '../lab/door-checks.js';

const MODULE = '/usr/share/puppet/modules/firewall';
/** A puppet apply of ~100 rules takes seconds on an idle machine, minutes on a loaded one. */
const APPLY_MS = 600_000;

function tools(): string[] {
  // The module is a directory, not a tool: a missing one names its package (CI must have it).
  if (!existsSync(MODULE)) return ['puppet', 'puppet-module-puppetlabs-firewall'];
  return ['puppet', 'iptables-save', 'ip6tables-save', 'nc', 'ping'];
}

describeLab('knock rules --format puppet (netns, puppet apply with puppetlabs-firewall)', tools(), () => {
  const d = {} as DoorLab & { dir: string; before: string };
  const get = () => d;

  /** Each apply its own state (vardir, confdir, HOME); the module's persist step off (see below). */
  async function apply(manifest: string, extra = ''): Promise<number | null> {
    const file = path.join(d.dir, `m${Math.random().toString(36).slice(2)}.pp`);
    writeFileSync(file, manifest + extra);
    return applyFile(file);
  }
  async function applyFile(file: string): Promise<number | null> {
    const state = mkdtempSync(path.join(d.dir, 'state-'));
    const result = await runProcess(
      'ip',
      ['netns', 'exec', d.lab.server, 'puppet', 'apply', '--detailed-exitcodes', '--color=false', '--vardir', `${state}/var`, '--confdir', `${state}/conf`, '--logdir', `${state}/log`, file],
      {
        // osfamily other than Debian: the module would otherwise run `service netfilter-persistent
        // save` where that is installed, writing this namespace's rules into the host's /etc/iptables.
        env: { ...process.env, HOME: state, FACTER_osfamily: 'knock-lab' },
        timeoutMs: APPLY_MS,
      },
    );
    // Facter's complaints about this container (/proc/1/environ) are not the manifest's.
    const errors = result.stderr.split('\n').filter((l) => /Error:/.test(l) && !/Error: Facter:/.test(l));
    expect(errors).toEqual([]);
    return result.code;
  }
  function saved(): string {
    const strip = (text: string) =>
      text
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]'))
        .join('\n');
    return strip(d.lab.exec(d.lab.server, 'iptables-save', [])) + strip(d.lab.exec(d.lab.server, 'ip6tables-save', []));
  }
  async function rules(args: string[]): Promise<string> {
    const result = await runKnock(['rules', ...args, '--format', 'puppet'], { env: d.home.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  let door = '';
  let group = '';

  beforeAll(async () => {
    d.lab = Lab.create('pp');
    d.home = new TempHome();
    d.dir = mkdtempSync(path.join(os.tmpdir(), 'knock-puppet-'));
    d.home.writeConfig(doorProfiles(SERVER_V4, SERVER_V6) + '\ngroups:\n  lab: [door, ping]\n');
    // The admin's own rules, which the door goes beside, in both families.
    for (const tool of ['iptables', 'ip6tables']) d.lab.exec(d.lab.server, tool, ['-A', 'INPUT', '-p', 'tcp', '--dport', '2999', '-j', 'DROP']);
    d.before = saved();
    door = await rules(['door']);
    group = await rules(['@lab']);
    // `door` has no family: one manifest guards both (the door6 profile knocks the same door over IPv6).
    expect(await apply(door)).toBe(2);
    expect(await apply(group, '\ninclude knock_ping\n')).toBe(2);
    await startTcpService(d.lab, SERVICE);
    await startTcpService(d.lab, ICMP_SERVICE);
  }, 3 * APPLY_MS);
  afterAll(() => {
    d.lab?.destroy();
    d.home?.cleanup();
    if (d.dir) rmSync(d.dir, { recursive: true, force: true });
  });

  test("applied beside the admin's rules: theirs are still there, the door's jump heads INPUT in both families", () => {
    for (const tool of ['iptables', 'ip6tables']) {
      const input = d.lab.exec(d.lab.server, tool, ['-S', 'INPUT']).split('\n').filter((l) => l.startsWith('-A INPUT'));
      expect(input[0]).toMatch(/^-A INPUT -m comment --comment "000 0 knock-door \(IPv[46]\): .*" -j knock-door-in$/);
      expect(input.some((l) => l.includes('--dport 2999 -j DROP'))).toBe(true);
    }
  });

  test('a second puppet apply of the same file changes nothing (--detailed-exitcodes: 0)', async () => {
    expect(await apply(door)).toBe(0);
  }, APPLY_MS);

  test("the group's class for door, included on its own, applies: the profile's manifest already did it all (exit 0)", async () => {
    expect(await apply(group, '\ninclude knock_door\n')).toBe(0);
  }, APPLY_MS);

  test("the group's manifest passes puppet parser validate and declares nothing by itself; its class for door is door's", async () => {
    const file = path.join(d.dir, 'group.pp');
    writeFileSync(file, group);
    const result = await runProcess('puppet', ['parser', 'validate', '--color=false', file], { env: { ...process.env, HOME: d.dir }, timeoutMs: 120_000 });
    expect(result.stderr.split('\n').filter((l) => /Error:/.test(l) && !/Facter/.test(l))).toEqual([]);
    expect(result.code).toBe(0);
    expect(group).not.toMatch(/^(include|class \{)/m);
    const body = (text: string, name: string) => text.slice(text.indexOf(`class ${name} (`)).split('\n}\n')[0];
    expect(body(group, 'knock_door')).toBe(body(door, 'knock_door'));
  }, 120_000);

  describe('IPv4', () => doorScenarios(get, { address: SERVER_V4, profile: 'door' }));
  describe('IPv6 (provider ip6tables)', () => doorScenarios(get, { address: SERVER_V6, profile: 'door6' }));

  // The ping class came from the group's manifest, included on its own.
  icmpScenarios(get, SERVER_V4, SERVER_V6);

  test('removed as the headers say: iptables-save and ip6tables-save are as before (counters aside)', async () => {
    const remove = /^# Remove: (.*?) \(/m.exec(door)?.[1];
    expect(remove).toBe("sed -i '$s/ensure => present/ensure => absent/' FILE && puppet apply FILE");
    const file = path.join(d.dir, 'door.pp');
    writeFileSync(file, door);
    // The edit as written; the apply with this test's own state directories.
    const [edit] = remove!.split(' && ');
    expect((await runProcess('sh', ['-c', edit!.replace('FILE', JSON.stringify(file))])).code).toBe(0);
    expect(await applyFile(file)).toBe(2);
    // The group's way: the class declared with ensure => absent instead of included.
    expect(group).toContain("# Remove: declare the class with ensure => absent instead of include (class { 'knock_NAME': ensure => absent })");
    expect(await apply(group, "\nclass { 'knock_ping': ensure => absent }\n")).toBe(2);
    expect(saved()).toBe(d.before);
  }, 2 * APPLY_MS);
});
