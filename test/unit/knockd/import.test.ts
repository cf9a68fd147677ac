import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/run-knock.js';
import { importKnockd, portOfCommand, profileNameOf } from '../../../src/knockd/import.js';
import { parseKnockdConf } from '../../../src/knockd/conf.js';
import { parseProfile } from '../../../src/store/profiles.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/knockd.conf');

describe('importKnockd', () => {
  const conf = parseKnockdConf(readFileSync(FIXTURE, 'utf8'), FIXTURE);
  const result = importKnockd(conf, 'gate.example', 22);

  it('pairs [openSSH]/[closeSSH] into one profile with a close sequence', () => {
    expect(result.profiles[0]).toEqual({
      name: 'SSH',
      sections: ['openSSH', 'closeSSH'],
      portFrom: 'command',
      profile: { host: 'gate.example', port: 22, open: [7000, 8000, 9000], close: [9000, 8000, 7000], seq_timeout: 5 },
    });
  });

  it('keeps other sections as profiles named after them, with protocols and seq_timeout', () => {
    expect(result.profiles.map((p) => p.name)).toEqual(['SSH', 'openHTTPS', 'mail-toggle', 'odd']);
    // -p 22 is for sections whose command names no port; these open 443 and 993.
    expect(result.profiles[1]!.profile).toEqual({ host: 'gate.example', port: 443, open: [12345, 54321, 24680, 13579], seq_timeout: 5 });
    expect(result.profiles[2]!.profile).toEqual({ host: 'gate.example', port: 993, open: ['2222:udp', 3333, '4444:udp'] });
    expect(result.profiles[2]!.closesAfterS).toBe(10);
    expect(result.profiles[3]).toMatchObject({ name: 'odd', portFrom: 'option', profile: { port: 22 } });
  });

  it('produces profiles the store loader accepts', () => {
    for (const p of result.profiles) expect(() => parseProfile(p.name, p.profile, 'x')).not.toThrow();
  });

  it('warns about tcpflags a SYN knock cannot match', () => {
    expect(result.warnings).toEqual([
      `${FIXTURE}:29: [odd] wants tcpflags=fin,!syn; knock sends a bare SYN, so its TCP knocks will not match`,
      `${FIXTURE}:17: [openHTTPS] opens port 443 (its command says so): port 443 used, not -p 22`,
      `${FIXTURE}:23: [mail toggle] opens port 993 (its command says so): port 993 used, not -p 22`,
    ]);
  });

  it('tcpflags on an all-UDP section: nothing to warn about (knockd checks flags on TCP only)', () => {
    expect(importKnockd(parseKnockdConf('[u]\nsequence=1:udp,2:udp\ntcpflags=syn,ack\n', 'k.conf'), 'h').warnings).toEqual([]);
  });

  it('the port a command opens', () => {
    expect(portOfCommand('/sbin/iptables -A INPUT -s %IP% -p tcp --dport 443 -j ACCEPT')).toEqual({ port: 443 });
    expect(portOfCommand('nft add element inet filter allowed { %IP% } ; tcp dport 8443')).toEqual({ port: 8443 });
    // ufw without `proto` opens TCP and UDP alike.
    expect(portOfCommand('ufw allow from %IP% to any port 2222')).toEqual({ port: 2222, bothProtocols: true });
    expect(portOfCommand('ufw allow from %IP% to any port 2222 proto tcp')).toEqual({ port: 2222 });
    expect(portOfCommand('/usr/local/sbin/knock_add -i -c INPUT -p tcp -d 443 -f %IP%')).toEqual({ port: 443 });
    expect(portOfCommand('iptables -A INPUT -s %IP% -d 10.0.0.1 -j ACCEPT')).toEqual({});
    expect(portOfCommand('iptables -m multiport --dports 80,443 -s %IP% -j ACCEPT')).toEqual({ ambiguous: '80,443' });
    expect(portOfCommand('iptables --dport 1000:2000 -s %IP% -j ACCEPT')).toEqual({ ambiguous: '1000:2000' });
    expect(portOfCommand(undefined)).toEqual({});
  });

  it('the protocol a command opens: UDP where it says so, both where it opens both', () => {
    expect(portOfCommand('ufw allow from %IP% to any port 1194 proto udp')).toEqual({ port: 1194, protocol: 'udp' });
    expect(portOfCommand('ufw allow from %IP% to any port 1194/udp')).toEqual({ port: 1194, protocol: 'udp' });
    expect(portOfCommand('/usr/sbin/ufw allow 1194/udp')).toEqual({ port: 1194, protocol: 'udp' });
    expect(portOfCommand('/sbin/iptables -I INPUT -s %IP% -p udp --dport 1194 -j ACCEPT')).toEqual({ port: 1194, protocol: 'udp' });
    expect(portOfCommand('ip6tables -I INPUT -s %IP% --protocol udp -m udp --dport 1194 -j ACCEPT')).toEqual({ port: 1194, protocol: 'udp' });
    expect(portOfCommand('nft add rule inet filter input ip saddr %IP% udp dport 1194 accept')).toEqual({ port: 1194, protocol: 'udp' });
    expect(portOfCommand('nft add rule inet filter input ip saddr %IP% tcp dport 22 accept')).toEqual({ port: 22 });
    expect(portOfCommand("firewall-cmd --add-rich-rule='rule source address=%IP% port port=1194 protocol=udp accept'")).toEqual({ port: 1194, protocol: 'udp' });
    // Both named, nft's any-transport `th dport`: said, not guessed.
    expect(portOfCommand('iptables -I INPUT -s %IP% -p tcp --dport 53 -j ACCEPT; iptables -I INPUT -s %IP% -p udp --dport 53 -j ACCEPT')).toEqual({ port: 53, bothProtocols: true });
    expect(portOfCommand('nft add rule inet filter input ip saddr %IP% meta l4proto { tcp, udp } th dport 53 accept')).toEqual({ port: 53, bothProtocols: true });
    // The knocks' protocols are not the service's: `-p udp` of another port is still a port list.
    expect(portOfCommand('iptables -p udp --dport 1194 ; iptables -p tcp --dport 22')).toEqual({ ambiguous: '1194,22' });
  });

  it('imports a UDP service as port: N/udp, and says where a command opens both protocols', () => {
    const c = parseKnockdConf(
      '[openVPN]\nsequence=7001,7002:udp\ncommand=ufw allow from %IP% to any port 1194 proto udp\n' +
        '[closeVPN]\nsequence=7002:udp,7001\ncommand=ufw delete allow from %IP% to any port 1194 proto udp\n' +
        '[dns]\nsequence=5300,5301\ncommand=ufw allow from %IP% to any port 53\n',
      'k.conf',
    );
    const r = importKnockd(c, 'h');
    expect(r.profiles.map((p) => [p.name, p.profile])).toEqual([
      ['VPN', { host: 'h', port: '1194/udp', open: [7001, '7002:udp'], close: ['7002:udp', 7001] }],
      ['dns', { host: 'h', port: 53, open: [5300, 5301] }],
    ]);
    expect(r.warnings).toEqual([
      'k.conf:7: [dns] opens port 53 for TCP and UDP alike: stored as TCP 53; for a UDP service, knock add --force NAME ... -p 53/udp',
    ]);
    const vpn = parseProfile('VPN', r.profiles[0]!.profile, 'x');
    expect([vpn.port, vpn.portProtocol]).toEqual([1194, 'udp']);
    // -p names TCP; the command's UDP port wins, and the warning writes it as the store does.
    expect(importKnockd(c, 'h', 22).warnings[0]).toBe('k.conf:1: [openVPN] opens port 1194/udp (its command says so): port 1194/udp used, not -p 22');
  });

  it('two sections that make one profile name: an identical copy once, a different one renamed, each said', () => {
    const c = parseKnockdConf('[open ssh]\nsequence=1,2\n[open-ssh]\nsequence=1,2\n[open_ssh]\nsequence=3,4\n', 'k.conf');
    const r = importKnockd(c, 'h');
    expect(r.profiles.map((p) => [p.name, p.profile.open])).toEqual([
      ['open-ssh', [1, 2]],
      ['open_ssh', [3, 4]],
    ]);
    const d = importKnockd(parseKnockdConf('[a b]\nsequence=1,2\n[a-b]\nsequence=1,2\n[a.b]\nsequence=5,6\n[a  b]\nsequence=7,8\n', 'k.conf'), 'h');
    expect(d.profiles.map((p) => [p.name, p.profile.open])).toEqual([
      ['a-b', [1, 2]],
      ['a.b', [5, 6]],
      ['a-b-2', [7, 8]],
    ]);
    expect(d.warnings).toEqual([
      "k.conf: [a-b] is the same door as [a b] (profile 'a-b'): imported once",
      "k.conf: [a  b] would also be profile 'a-b' (from [a b]): imported as 'a-b-2'",
    ]);
  });

  it('pairs a close section that comes first, and takes the shorter seq_timeout', () => {
    const c = parseKnockdConf('[close-web]\nsequence=3,2,1\nseq_timeout=10\n[open-web]\nsequence=1,2,3\nseq_timeout=20\n', 'k.conf');
    expect(importKnockd(c, 'h').profiles).toEqual([{ name: 'web', sections: ['open-web', 'close-web'], profile: { host: 'h', open: [1, 2, 3], close: [3, 2, 1], seq_timeout: 10 } }]);
  });

  it('makes a one_time_sequences section a profile that reads the user\'s copy of the file', () => {
    const c = parseKnockdConf('[otp]\none_time_sequences=/etc/knock-otp\n[a]\nsequence=1,2\n', 'k.conf');
    const r = importKnockd(c, 'h');
    expect(r.profiles).toEqual([
      { name: 'otp', profile: { host: 'h', one_time_sequences: 'one-time/otp' }, sections: ['otp'] },
      { name: 'a', profile: { host: 'h', open: [1, 2] }, sections: ['a'] },
    ]);
    expect(r.copies).toEqual([{ profile: 'otp', from: '/etc/knock-otp', to: 'one-time/otp' }]);
    expect(r.warnings).toEqual([]);
  });

  it('pairs a one-time open section with a fixed close section, never a one-time close', () => {
    const c = parseKnockdConf(
      '[openSSH]\none_time_sequences=/etc/otp\nseq_timeout=5\n[closeSSH]\nsequence=9,8\n[openWeb]\nsequence=1,2\n[closeWeb]\none_time_sequences=/etc/otp2\n',
      'k.conf',
    );
    const r = importKnockd(c, 'h', undefined, '/home/u/otp/');
    expect(r.profiles.map((p) => [p.name, p.profile])).toEqual([
      ['SSH', { host: 'h', one_time_sequences: '/home/u/otp/SSH', close: [9, 8], seq_timeout: 5 }],
      ['openWeb', { host: 'h', open: [1, 2] }],
      ['closeWeb', { host: 'h', one_time_sequences: '/home/u/otp/closeWeb' }],
    ]);
  });

  it('makes section names usable profile names', () => {
    expect(profileNameOf('mail toggle')).toBe('mail-toggle');
    expect(profileNameOf('--x')).toBe('x');
    expect(profileNameOf('.hidden')).toBe('hidden');
  });
});

describe('-p with a protocol', () => {
  const c = parseKnockdConf('[vpn]\nsequence=7001,7002\ncommand=/usr/local/bin/open-door %IP%\n[web]\nsequence=7101,7102\ncommand=ufw allow from %IP% to any port 443 proto tcp\n', 'k.conf');
  it('applies -p 1194/udp to a section whose command names no port, and names it where a command overrides it', () => {
    const r = importKnockd(c, 'h', '1194/udp');
    expect(r.profiles.map((p) => [p.name, p.profile.port, p.portFrom])).toEqual([
      ['vpn', '1194/udp', 'option'],
      ['web', 443, 'command'],
    ]);
    expect(r.warnings).toEqual(['k.conf:4: [web] opens port 443 (its command says so): port 443 used, not -p 1194/udp']);
  });
  it('-p equal to what the command opens: no warning', () => {
    expect(importKnockd(c, 'h', 443).warnings).toEqual([]);
  });
});
