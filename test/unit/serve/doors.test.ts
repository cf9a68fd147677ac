import { ConfigError } from '../../../src/shared/errors.js';
import { parseKnockdConf } from '../../../src/knockd/conf.js';
import { parseProfile } from '../../../src/store/profiles.js';
import { doorsFromKnockdConf, doorsFromProfile, portsOf } from '../../../src/serve/doors.js';
import { substituteIp } from '../../../src/serve/actions.js';
import { parseGuard } from '../../../src/serve/guard.js';

describe('doors from a profile', () => {
  test('open and close sequences, seq_timeout, distinct ports', () => {
    const profile = parseProfile('p', { open: [7000, '8000:udp', 9000], close: [9000, '8000:udp'], seq_timeout: 3 }, 'f.yaml');
    const { doors, warnings } = doorsFromProfile(profile);
    expect(warnings).toEqual([]);
    expect(doors.map((d) => [d.name, d.kind, d.seqTimeout, d.sequence.length])).toEqual([
      ['open', 'open', 3, 3],
      ['close', 'close', 3, 2],
    ]);
    expect(portsOf(doors)).toEqual([
      { proto: 'tcp', port: 7000 },
      { proto: 'udp', port: 8000 },
      { proto: 'tcp', port: 9000 },
    ]);
  });

  test('ICMP knocks are refused, or skipped with a warning when asked', () => {
    const profile = parseProfile('p', { open: [7000, 'icmp:64', 9000] }, 'f.yaml');
    expect(() => doorsFromProfile(profile)).toThrow(ConfigError);
    expect(() => doorsFromProfile(profile)).toThrow(/profile 'p': the open sequence has ICMP knocks \(icmp:64\).*--skip-icmp/);
    const { doors, warnings } = doorsFromProfile(profile, { skipIcmp: true });
    expect(doors[0]!.sequence).toEqual([
      { proto: 'tcp', port: 7000 },
      { proto: 'tcp', port: 9000 },
    ]);
    expect(warnings[0]).toMatch(/skipping ICMP knocks in the open sequence \(icmp:64\)/);
  });
});

describe('doors from a knockd.conf', () => {
  const conf = parseKnockdConf(
    `[options]
  UseSyslog
[openSSH]
  sequence    = 7000,8000:udp,9000
  seq_timeout = 5
  command     = /sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
  tcpflags    = syn
[closeSSH]
  sequence    = 9000,8000,7000
  command     = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
[opencloseHTTP]
  sequence      = 2222:udp,3333:tcp
  start_command = add %IP%
  stop_command  = del %IP%
  tcpflags      = fin,!ack
`,
    'knockd.conf',
  );

  test('every section is a door with its sequence, timeout and commands', () => {
    const { doors, warnings } = doorsFromKnockdConf(conf);
    expect(doors.map((d) => [d.name, d.kind, d.seqTimeout, d.sequence.length, d.command ?? null, d.stopCommand ?? null, d.cmdTimeout ?? null])).toEqual([
      ['openSSH', 'open', 5, 3, '/sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT', null, null],
      ['closeSSH', 'close', 25, 3, '/sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT', null, null],
      ['opencloseHTTP', 'open', 25, 2, 'add %IP%', 'del %IP%', 10],
    ]);
    expect(warnings).toEqual(['knockd.conf:11: [opencloseHTTP]: tcpflags = fin,!ack is not checked: knock serve counts one knock per TCP connection (as tcpflags = syn)']);
  });
});

describe('%IP% substitution', () => {
  test('IPv4 and IPv6 literals are substituted everywhere, as knockd does', () => {
    expect(substituteIp("iptables -s '%IP%' && echo %IP%", '192.0.2.7')).toBe("iptables -s '192.0.2.7' && echo 192.0.2.7");
    expect(substituteIp('x %IP%', '2001:db8::1')).toBe('x 2001:db8::1');
  });
  test('anything else is refused', () => {
    for (const bad of ['1.2.3.4;id', '$(id)', 'fe80::1%eth0', '', 'localhost']) expect(() => substituteIp('x %IP%', bad)).toThrow(/not a plain IP address/);
  });
});

describe('--guard', () => {
  test('PORT:HOST:PORT, IPv6 in brackets', () => {
    expect(parseGuard('2222:127.0.0.1:22')).toEqual({ port: 2222, targetHost: '127.0.0.1', targetPort: 22 });
    expect(parseGuard('2222:[::1]:22')).toEqual({ port: 2222, targetHost: '::1', targetPort: 22 });
    expect(() => parseGuard('2222:22')).toThrow(/expected PORT:TARGET_HOST:TARGET_PORT/);
    expect(() => parseGuard('0:h:22')).toThrow(/out of range/);
  });
});
