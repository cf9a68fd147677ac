import path from 'node:path';
import { run } from '../../../src/cli/cli.js';
import type { Lookup } from '../../../src/knock/resolve.js';
import type { FakeTransport } from '../../helpers/fakes.js';
import { setupCli } from '../../helpers/run-cli.js';

const STORE = `
profiles:
  box:
    host: 198.18.0.2
    open: [7000, "8000:udp", 9000]
    close: [9000, 7000]
    delay: 20
  list:
    host: 198.18.0.3
    open: [1111]
  open:
    host: 198.18.0.4
    open: [2222]
`;

/** run() in process against STORE (or another store, or none), box.example resolving to 198.18.0.9. */
const setup = (store: string | null = STORE) => setupCli(store, { 'box.example': '198.18.0.9' });

const firedPorts = (t: FakeTransport) => t.fired.map((f) => (f.knock.protocol === 'icmp' ? `icmp:${f.knock.size}` : `${f.knock.port}:${f.knock.protocol}`));

test('--help and --version go to stdout with exit 0', async () => {
  const { knock, transport } = setup();
  const help = await knock('--help');
  expect(help).toMatchObject({ code: 0, stderr: '' });
  expect(help.stdout).toContain('knock [command] [options]');
  expect(help.stdout).toContain('Examples:');
  expect(help.stdout).toContain('knock -d 50 -v host.example 7000 8000:udp 9000 icmp:64');
  const version = await knock('--version');
  expect(version).toMatchObject({ code: 0, stderr: '' });
  expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  expect(transport.armed).toEqual([]);
});

test.each([
  [['--bogus'], 'unknown option --bogus (see knock --help)'],
  [['--bogus=3', 'box'], 'unknown option --bogus (see knock --help)'],
  [['-x', 'box'], 'unknown option -x (see knock --help)'],
  [['--no-thing', 'box'], 'unknown option --no-thing (see knock --help)'],
  [['-vx', 'box'], 'unknown option -x (see knock --help)'],
  [['--dryrun', 'box'], 'unknown option --dryrun; did you mean --dry-run? (see knock --help)'],
  [['-n', 'list'], 'option -n does not apply to knock list (see knock list --help)'],
  [['--dry-run=yes', 'box'], "option --dry-run takes no value (got 'yes')"],
  [['box', '--dry-run=no'], "option --dry-run takes no value (got 'no')"],
  [['-n=1', 'box'], "option -n takes no value (got '1')"],
  [['list', '--', 'extra'], "unexpected argument 'extra' (see knock list --help)"],
  [['add'], 'missing NAME, HOST and KNOCK...: knock add NAME HOST KNOCK...'],
  [['proxy', 'box'], 'missing PORT: knock proxy HOST PORT'],
  [['proxy', 'box', '22', '--connect-timeout', 'abc'], "--connect-timeout 'abc' is not a number of seconds (> 0)"],
  [['completion', 'tcsh'], "SHELL 'tcsh' is not one of bash, zsh, fish"],
  [['lnit'], "unknown profile 'lnit' in"],
  [['boxx'], "unknown profile 'boxx' in"],
  [['1111', '2222', '3333'], "'1111' is a port, not a host"],
  [['-6', '198.18.0.2', '7000'], "'198.18.0.2' is an IPv4 address but -6 was given"],
  [['-5', '198.18.0.2', '80'], 'unknown option -5 (see knock --help)'],
  [['list', 'extra'], "unexpected argument 'extra' (see knock --help)"],
  [[], 'missing target: a profile name, or HOST KNOCK... for ad-hoc use'],
  [['open'], 'missing target: knock open PROFILE'],
  [['close'], 'missing target: knock close PROFILE'],
  [['-d'], 'option -d needs a value'],
  [['--config'], 'option --config needs a value'],
  [['-d', 'abc', 'box'], "-d/--delay 'abc' is not a number of milliseconds (>= 0)"],
  [['-d', '-5', 'box'], "-d/--delay '-5' is not a number of milliseconds (>= 0)"],
  [['--ttl', '0', 'box'], "--ttl '0' is not a TTL (1-255)"],
  [['--ttl', '1.5', 'box'], "--ttl '1.5' is not a TTL (1-255)"],
  [['--ttl'], 'option --ttl needs a value'],
  [['--source'], 'option --source needs a value'],
  [['open', 'box', '--', '1'], "unexpected argument '1': knock open takes a profile name only"],
  [['close', 'list'], "profile 'list' has no close sequence in"],
  [['nosuch'], "unknown profile 'nosuch' in"],
  [['198.18.0.2', '7000', '8000:udp', '0'], 'port 0 is out of range (1-65535)'],
  [['198.18.0.2', '7000', '8000:udp', '65536'], 'port 65536 is out of range (1-65535)'],
  [['198.18.0.2', '7000', '8000:tcp', '65536:udp'], "port 65536 in '65536:udp' is out of range (1-65535)"],
  [['198.18.0.2', '7000', '8000:udp', '9000:sctp'], "unknown protocol 'sctp' in '9000:sctp'"],
  [['198.18.0.2', '7000', '8000:udp', 'nine'], "'nine' is not a knock"],
  [['198.18.0.2', '7000', '8000:udp', 'icmp:70000'], "ICMP size 70000 in 'icmp:70000' is out of range"],
  [['198.18.0.2', '7000', '--', '-1'], 'port -1 is out of range'],
])('knock %j: exit 2, one line naming the culprit, nothing armed', async (argv, message) => {
  const { knock, transport } = setup();
  const result = await knock(...argv);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr.startsWith(`knock: ${message}`)).toBe(true);
  expect(result.stderr.split('\n')).toHaveLength(2);
  expect(transport.armed).toEqual([]);
});

test('runtime failures exit 1 (unresolvable host); -4 with an IPv6 literal is a usage error', async () => {
  const { knock, transport } = setup();
  expect(await knock('name.invalid', '7000')).toEqual({ code: 1, stdout: '', stderr: "knock: cannot resolve 'name.invalid': no address found\n" });
  expect(await knock('-4', '::1', '7000')).toEqual({ code: 2, stdout: '', stderr: "knock: '::1' is an IPv6 address but -4 was given\n" });
  expect(transport.armed).toEqual([]);
});

test('a mistyped subcommand or profile gets the nearest name; the ad-hoc hint only where nothing is near', async () => {
  const { knock } = setup();
  expect((await knock('lnit')).stderr).toMatch(/^knock: unknown profile 'lnit' in \S+; did you mean knock lint\?\n$/);
  expect((await knock('boxx')).stderr).toMatch(/^knock: unknown profile 'boxx' in \S+; did you mean box\?\n$/);
  expect((await knock('zzzzzz')).stderr).toMatch(/; for ad-hoc use give knocks: knock HOST PORT\.\.\.\n$/);
  // show, lint, ssh-config and proxy take profiles only: no ad-hoc hint there.
  for (const command of ['show', 'lint', 'ssh-config']) {
    const r = await knock(command, 'zzzzzz');
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/ad-hoc/);
  }
  expect((await knock('proxy', 'zzzzzz', '22')).stderr).not.toMatch(/ad-hoc/);
});

test('a profile without host whose name does not resolve says what to fix', async () => {
  const { knock, io } = setup('profiles:\n  nohost:\n    open: [1]\n');
  expect(await knock('nohost')).toEqual({
    code: 1,
    stdout: '',
    stderr: `knock: cannot resolve 'nohost': no address found (profile 'nohost' has no host, and ${io.homedir}/.ssh/config gives it no HostName)\n`,
  });
});

test("a profile's open sequence, on its schedule, to its host", async () => {
  const { knock, transport } = setup();
  const result = await knock('box');
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(/^knocked box: 3 knocks in 40\.\d ms\n$/);
  expect(firedPorts(transport)).toEqual(['7000:tcp', '8000:udp', '9000:tcp']);
  expect(transport.fired.every((f) => f.to.address === '198.18.0.2')).toBe(true);
});

test('close fires the close sequence; -d overrides the delay', async () => {
  const { knock, transport } = setup();
  const result = await knock('close', 'box', '-d', '5');
  expect(result.stdout).toMatch(/^closed box: 2 knocks in 5\.\d ms\n$/);
  expect(firedPorts(transport)).toEqual(['9000:tcp', '7000:tcp']);
});

test('subcommand names win over profile names; open NAME reaches the profile', async () => {
  const { knock, transport } = setup();
  const list = await knock('list');
  expect(list.code).toBe(0);
  expect(list.stdout).toContain('box ');
  expect(transport.armed).toEqual([]);
  const viaOpen = await knock('open', 'list');
  expect(viaOpen.code).toBe(0);
  expect(viaOpen.stdout).toMatch(/^knocked list: 1 knock in/);
  const openOpen = await knock('open', 'open');
  expect(openOpen.code).toBe(0);
  expect(firedPorts(transport)).toEqual(['1111:tcp', '2222:tcp']);
  expect(transport.fired.map((f) => f.to.address)).toEqual(['198.18.0.3', '198.18.0.4']);
});

test('ad hoc, knock(1) style: -u, an explicit :tcp wins, -d, a name resolved once', async () => {
  const { knock, transport, lookups } = setup();
  const result = await knock('-u', '-d', '10', 'box.example', '7000', '8000:tcp', 'icmp:64');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^knocked box\.example \(198\.18\.0\.9\): 3 knocks in 20\.\d ms\n$/);
  expect(firedPorts(transport)).toEqual(['7000:udp', '8000:tcp', 'icmp:64']);
  // Resolved once per family (the other family asked for too: a dual-stack host is knocked on
  // both); this name has only IPv4, so every knock goes to its one address.
  expect(lookups).toEqual(['box.example', 'box.example']);
  expect(transport.fired.every((f) => f.to.address === '198.18.0.9')).toBe(true);
});

test('words after -- are knocks too', async () => {
  const { knock, transport } = setup();
  expect((await knock('198.18.0.2', '7000', '--', '8000:udp')).code).toBe(0);
  expect(firedPorts(transport)).toEqual(['7000:tcp', '8000:udp']);
  expect((await knock('--', '198.18.0.3', '-1:udp')).stderr).toBe("knock: port -1 in '-1:udp' is out of range (1-65535)\n");
  expect((await knock('--', '198.18.0.3', '9000')).code).toBe(0);
  expect(transport.fired.at(-1)?.to.address).toBe('198.18.0.3');
});

test('--dry-run prints the plan and arms nothing; with --json it is JSON', async () => {
  const { knock, transport } = setup();
  const text = await knock('--dry-run', 'box');
  expect(text).toEqual({
    code: 0,
    stderr: '',
    stdout: [
      'open box: 198.18.0.2 (IPv4), 3 knocks over 40 ms',
      '   1. +    0 ms  7000        tcp 7000',
      '   2. +   20 ms  8000:udp    udp 8000',
      '   3. +   40 ms  9000        tcp 9000',
      'dry run: nothing was sent',
      '',
    ].join('\n'),
  });
  const json = await knock('-n', '--json', 'box');
  expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, profile: 'box', address: '198.18.0.2', knocks: [{ offsetMs: 0 }, { offsetMs: 20 }, { offsetMs: 40 }] });
  expect(transport.armed).toEqual([]);
});

test('--json after sending: one JSON document with results', async () => {
  const { knock } = setup();
  const result = await knock('--json', 'box');
  expect(result.stderr).toBe('');
  const doc = JSON.parse(result.stdout);
  expect(doc).toMatchObject({ action: 'open', profile: 'box', address: '198.18.0.2', family: 4, dryRun: false });
  expect(doc.knocks.map((k: { token: string; result: string }) => [k.token, k.result])).toEqual([
    ['7000', 'sent'],
    ['8000:udp', 'sent'],
    ['9000', 'sent'],
  ]);
  expect(typeof doc.elapsedMs).toBe('number');
});

test('-q prints nothing; -v adds a line as each knock leaves and one as its outcome settles, on stderr', async () => {
  const { knock, transport } = setup();
  expect(await knock('-q', 'box')).toEqual({ code: 0, stdout: '', stderr: '' });
  const verbose = await knock('-v', 'box');
  const lines = verbose.stderr.trim().split('\n');
  expect(lines).toHaveLength(6);
  const sent = lines.filter((l) => / at \+/.test(l));
  expect(sent[0]).toMatch(/^knock 1\/3 7000 -> 198\.18\.0\.2 at \+\d+\.\d\d ms$/);
  expect(sent[1]).toMatch(/^knock 2\/3 8000:udp -> /);
  expect(lines.filter((l) => !/ at \+/.test(l))).toEqual(['knock 1/3 7000: sent', 'knock 2/3 8000:udp: sent', 'knock 3/3 9000: sent']);
  expect(verbose.stdout).toMatch(/^knocked box/);
  expect(transport.fired).toHaveLength(6);
});

test('an accepted TCP knock warns (unless -q)', async () => {
  const { knock, transport } = setup();
  transport.outcome = { result: 'accepted' };
  const result = await knock('198.18.0.2', '22');
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('knock: warning: knock 1 was accepted by 198.18.0.2: an open port completes a handshake, so more than one packet went there\n');
  expect((await knock('-q', '198.18.0.2', '22')).stderr).toBe('');
});

test('a sequence longer than seq_timeout warns', async () => {
  const { knock } = setup('profiles:\n  slow:\n    host: 198.18.0.2\n    open: [1, 2]\n    delay: 2000\n    seq_timeout: 1\n');
  const result = await knock('-n', 'slow');
  expect(result.code).toBe(0);
  expect(result.stderr).toBe("knock: warning: the open sequence of 'slow' takes 2000 ms, longer than its seq_timeout of 1 s\n");
});

test('list: names and hosts; sequences only with -v; --json', async () => {
  const { knock } = setup();
  const plain = await knock('list');
  expect(plain.stdout).toBe(['box   198.18.0.2  open 3 knocks, close 2 knocks', 'list  198.18.0.3  open 1 knock', 'open  198.18.0.4  open 1 knock', ''].join('\n'));
  const verbose = await knock('list', '-v');
  expect(verbose.stdout.split('\n')[0]).toBe('box   198.18.0.2  open: 7000 8000:udp 9000  close: 9000 7000');
  const json = JSON.parse((await knock('list', '--json')).stdout);
  expect(json.file).toMatch(/knock\/config\.yaml$/);
  expect(json.profiles[0]).toEqual({ name: 'box', host: '198.18.0.2', delay: 20, seqTimeout: 25, openKnocks: 3, closeKnocks: 2 });
  const jsonV = JSON.parse((await knock('list', '--json', '-v')).stdout);
  expect(jsonV.profiles[0]).toMatchObject({ open: ['7000', '8000:udp', '9000'], close: ['9000', '7000'] });
});

test('list without a store says so on stderr', async () => {
  const { knock } = setup(null);
  expect(await knock('list')).toEqual({ code: 0, stdout: '', stderr: 'knock: no profile store found (knock add NAME HOST KNOCK... creates one)\n' });
  expect(JSON.parse((await knock('list', '--json')).stdout)).toEqual({ file: null, profiles: [], groups: [] });
});

test('a broken store is exit 2 with file and line, for knock and list alike', async () => {
  const { knock } = setup('profiles:\n  a: [1\n');
  for (const argv of [['a'], ['list']]) {
    const result = await knock(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^knock: \S+\/knock\/config\.yaml:\d+:\d+: does not parse: .+\n$/);
  }
});

test('options may come before the subcommand', async () => {
  const { knock, transport, dir } = setup();
  const close = await knock('-n', 'close', 'box');
  expect(close.code).toBe(0);
  expect(close.stdout).toMatch(/^close box: 198\.18\.0\.2 \(IPv4\), 2 knocks over 20 ms\n[\s\S]*dry run: nothing was sent\n$/);
  expect((await knock('--dry-run', 'open', 'box')).stdout).toMatch(/^open box: /);
  expect((await knock('--config', path.join(dir, 'config.yaml'), '-q', 'list')).code).toBe(0);
  expect((await knock('-vd', '5', 'open', 'box', '-n')).stdout).toMatch(/\+   10 ms/);
  expect(transport.armed).toEqual([]);
});

test('several profiles for one host: the one whose port matches, else an error naming them', async () => {
  const { knock, transport } = setup(`profiles:
  ssh:
    host: 198.18.0.7
    port: 22
    open: [1001, 1002]
  web:
    host: 198.18.0.7
    port: 443
    open: [2001, 2002]
`);
  const ambiguous = await knock('-n', '198.18.0.7');
  expect(ambiguous.code).toBe(2);
  expect(ambiguous.stderr).toBe("knock: '198.18.0.7' matches 2 profiles: 'ssh' (port 22), 'web' (port 443); name the profile instead\n");
  expect(transport.armed).toEqual([]);
});

describe('packet options', () => {
  const dualLookup: Lookup = async (host, family) => {
    if (host !== 'dual.example') throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    return family === 6 ? { address: '2001:db8::9', family: 6 } : { address: '198.18.0.9', family: 4 };
  };
  const interfaces = () => ({ veth0: [{ address: '198.18.0.1', family: 'IPv4', netmask: '', mac: '', internal: false, cidr: null }] }) as never;

  function runWith(store: string | null = STORE) {
    const { io, transport, clock, lock } = setup(store);
    return {
      transport,
      knock: async (...argv: string[]) => {
        io.stdout.text = '';
        io.stderr.text = '';
        const code = await run(argv, io, { transport, clock, lock, lookup: dualLookup, interfaces });
        return { code, stdout: io.stdout.text, stderr: io.stderr.text };
      },
    };
  }

  test('-4 -6: the whole sequence to the IPv4 address, then the whole sequence to the IPv6 one', async () => {
    const { knock, transport } = runWith();
    const result = await knock('-4', '-6', 'dual.example', '7000', '8000:udp');
    expect(result).toEqual({ code: 0, stdout: expect.stringMatching(/^knocked dual\.example \(198\.18\.0\.9\): 2 knocks in .*\nknocked dual\.example \(2001:db8::9\): 2 knocks in /), stderr: '' });
    expect(transport.fired.map((f) => `${f.to.address} ${f.knock.protocol === 'icmp' ? '' : f.knock.port}`)).toEqual([
      '198.18.0.9 7000',
      '198.18.0.9 8000',
      '2001:db8::9 7000',
      '2001:db8::9 8000',
    ]);
  });

  test('family: both in a profile, and --dry-run shows each plan with its source and TTL', async () => {
    const { knock, transport } = runWith('profiles:\n  d:\n    host: dual.example\n    family: both\n    ttl: 5\n    source: veth0\n    open: [7000]\n');
    const result = await knock('--dry-run', '-4', 'd');
    expect(result.stdout).toBe('open d: dual.example -> 198.18.0.9 (IPv4) from 198.18.0.1, TTL 5, 1 knock over 0 ms\n   1. +    0 ms  7000        tcp 7000\ndry run: nothing was sent\n');
    const both = await knock('--dry-run', '--json', '--ttl', '9', 'd');
    expect(both.code).toBe(1);
    // The interface has no IPv6 address: refused before anything is sent, for both plans.
    expect(both.stderr).toBe('knock: interface veth0 has no IPv6 address to knock from (link-local ones are not used)\n');
    expect(transport.armed).toEqual([]);
  });

  test('a source that is not local is refused before any knock is armed', async () => {
    const { knock, transport } = runWith();
    const result = await knock('--source', '203.0.113.9', '198.18.0.2', '7000', '8000:udp');
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'knock: source 203.0.113.9 is not an address of this machine (see ip addr, or give an interface name)\n' });
    expect(transport.armed).toEqual([]);
  });
});
