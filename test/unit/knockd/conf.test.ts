import { parseKnockdConf, parseKnockdSequence } from '../../../src/knockd/conf.js';
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
  ['an empty sequence', '[a]\nsequence = , ,\n', 'k.conf:1: [a]: empty sequence'],
  ['an ICMP knock', '[a]\nsequence = 1,icmp\n', "k.conf:1: [a]: 'icmp' is not a knockd knock (PORT, PORT:tcp or PORT:udp)"],
  ['a port range', '[a]\nsequence = 1-2\n', "'1-2' is not a knockd knock"],
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

test('sequence tokens: spaces around commas, protocol case-insensitive, bare ports TCP', () => {
  expect(parseKnockdSequence(' 1 , 2:UDP,3:Tcp ', 'here')).toEqual([
    { protocol: 'tcp', port: 1 },
    { protocol: 'udp', port: 2 },
    { protocol: 'tcp', port: 3 },
  ]);
});
