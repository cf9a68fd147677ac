import { parseKnockdConf } from '../../../src/knockd/conf.js';
import { parseKnockdSequence } from '../../../src/knock/knockd-syntax.js';
import { ConfigError } from '../../../src/shared/errors.js';

const CONF = `# knockd.conf
[options]
  UseSyslog
  Interface = eth0

[openSSH]
  sequence    = 7000,8000:UDP, 9000:tcp
  seq_timeout = 5
  Command     = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
  tcpflags    = syn

[door]\r
  sequence      = 1111
  start_command = open %IP%
  cmd_timeout   = 30
  stop_command  = close %IP%
`;

test('options, sections in order, keys lower-cased, values as written, lines of the headers', () => {
  const conf = parseKnockdConf(CONF, 'knockd.conf');
  expect(conf.file).toBe('knockd.conf');
  expect(conf.options).toEqual({ usesyslog: '', interface: 'eth0' });
  expect(conf.sections.map((s) => [s.name, s.line])).toEqual([['openSSH', 6], ['door', 12]]);
  const [open, door] = conf.sections;
  expect(open).toMatchObject({
    sequence: [{ protocol: 'tcp', port: 7000 }, { protocol: 'udp', port: 8000 }, { protocol: 'tcp', port: 9000 }],
    seqTimeout: 5,
    command: '/sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT',
    tcpflags: 'syn',
  });
  expect(open!.cmdTimeout).toBeUndefined();
  expect(door).toMatchObject({ sequence: [{ protocol: 'tcp', port: 1111 }], command: 'open %IP%', cmdTimeout: 30, stopCommand: 'close %IP%' });
  expect(door!.seqTimeout).toBeUndefined();
});

test('one_time_sequences stands in for the sequence', () => {
  const conf = parseKnockdConf('[otp]\none_time_sequences = /etc/knockd/otp\ncommand = x\n', 'k.conf');
  expect(conf.sections[0]).toMatchObject({ name: 'otp', sequence: [], oneTimeSequences: '/etc/knockd/otp' });
});

test.each([
  ['a key before any section', 'sequence = 1\n[a]\nsequence = 2\n', 'k.conf:1: a line outside any [section] (is this a knockd config?)'],
  ['a section without a sequence', '[a]\ncommand = x\n', 'k.conf:1: [a]: no sequence'],
  ['an empty sequence (knockd: port 0 three times)', '[a]\nsequence = , ,\n', "k.conf:2: [a] sequence: knock 1 '' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads 0:tcp): fix it on both sides"],
  ['an ICMP knock', '[a]\nsequence = 1,icmp\n', "k.conf:2: [a] sequence: knock 2 'icmp' is not one knockd reads the same way"],
  ['a port range', '[a]\nsequence = 1-2\n', "knock 1 '1-2' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads 1:tcp)"],
  ['an empty knock between two (knockd: port 0)', '[a]\n\nsequence = 7301,,7302\n', "k.conf:3: [a] sequence: knock 2 '' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads 0:tcp)"],
  ['a trailing comma (knockd: a last knock on port 0)', '[a]\nsequence = 7301,7302,\n', "knock 3 '' is not one knockd reads the same way"],
  ['a non-breaking space before a port (knockd: port 0)', '[a]\nsequence = \u00a07301,7302\n', "knock 1 '\\xa07301' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads 0:tcp)"],
  ['33 knocks (knockd refuses to start)', `[a]\nsequence = ${Array.from({ length: 33 }, (_, i) => 7000 + i).join(',')}\n`, 'k.conf:2: [a] sequence: 33 knocks; knockd 0.8 takes at most 32 in a sequence'],
  ['an unknown protocol', '[a]\nsequence = 7000:sctp\n', "knockd reads an unknown protocol, and refuses the sequence)"],
  ['a port atoi() reads short', '[a]\nsequence = 7000x\n', "knock 1 '7000x' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads 7000:tcp)"],
  ['a fractional seq_timeout', '[a]\nsequence = 1\nseq_timeout = 1.5\n', "k.conf:1: [a]: seq_timeout '1.5' is not a whole number of seconds"],
  ['a negative cmd_timeout', '[a]\nsequence = 1\ncmd_timeout = -1\n', "cmd_timeout '-1' is not a whole number of seconds"],
])('%s is a config error naming file and line', (_what, text, message) => {
  let error: unknown;
  try {
    parseKnockdConf(text, 'k.conf');
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toContain(message);
});

test.each(['0', '65536', '99999999999999999999'])('port %s is out of range', (port) => {
  expect(() => parseKnockdSequence(port, 'here')).toThrow(ConfigError);
  expect(() => parseKnockdSequence(port, 'here')).toThrow(/^here: /);
});

test('32 knocks is what knockd takes; C whitespace around a port and its protocol reads the same', () => {
  expect(parseKnockdSequence(Array.from({ length: 32 }, (_, i) => 7000 + i).join(','), 'here')).toHaveLength(32);
  expect(parseKnockdSequence('\t7000 :\vudp\f, 8000', 'here')).toEqual([
    { protocol: 'udp', port: 7000 },
    { protocol: 'tcp', port: 8000 },
  ]);
});

test("a negative port is refused, saying the unsigned short knockd makes of it", () => {
  expect(() => parseKnockdSequence('-1', 'here')).toThrow("knockd reads 65535:tcp)");
});

test('sequence tokens: spaces around commas, protocol case-insensitive, bare ports TCP', () => {
  expect(parseKnockdSequence(' 1 , 2:UDP,3:Tcp ', 'here')).toEqual([
    { protocol: 'tcp', port: 1 },
    { protocol: 'udp', port: 2 },
    { protocol: 'tcp', port: 3 },
  ]);
});

test('a line knockd would read as two (over 4094 bytes) is refused naming it, a comment too', () => {
  const long = `[a]\nsequence = 1,2\ncommand = /bin/echo ${'x'.repeat(4100)}\n`;
  expect(() => parseKnockdConf(long, 'k.conf')).toThrow('k.conf:3: line longer than knockd reads (4094 bytes): knockd would read the rest as a line of its own');
  expect(() => parseKnockdConf(`# ${'x'.repeat(5000)}\n[a]\nsequence = 1,2\n`, 'k.conf')).toThrow('k.conf:1: line longer than knockd reads');
  expect(parseKnockdConf(`# ${'x'.repeat(4000)}\n[a]\nsequence = 1,2\ncommand = /bin/echo ${'x'.repeat(4000)}\n`, 'k.conf').sections).toHaveLength(1);
});
