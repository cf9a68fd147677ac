// Hosts that are not one host, or not a host at all, from the command line and from a store:
// multicast, broadcast and unspecified addresses, a %zone naming no interface, a NUL or other
// control character, a 900 KB name. Each refused before any packet with one bounded line, never
// printed raw; then a seeded generator of such hosts, by count, each checked against what its
// parts say the answer must be. Every host here is an IP literal (or refused before the
// resolver), so nothing is looked up in DNS; every run is a dry run or refused, so nothing is sent.
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { seeded } from '../helpers/fakes.js';

const home = new TempHome();
afterAll(() => home.cleanup());

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;
/** A hang is a kill: generous, so a slow start on a loaded machine is no hang; the test's bound is this per case. */
const KILL_MS = 30_000;

function expectOneCleanLine(stderr: string): void {
  expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(stderr).not.toMatch(RAW_CONTROL);
  expect(stderr).not.toContain('internal error');
  expect(stderr.length).toBeLessThan(1100);
}

test.each([
  ['224.0.0.1', /multicast/],
  ['239.255.255.250', /multicast/],
  ['ff02::1', /multicast/],
  ['ff0e::1', /multicast/],
  ['FF05::1:3', /multicast/],
  ['::ffff:224.0.0.251', /multicast/],
  ['255.255.255.255', /broadcast/],
  ['0.0.0.0', /unspecified/],
  ['::', /unspecified/],
  ['fe80::1%no-such-if', /no interface 'no-such-if'/],
  ['fe80::1%4294967297', /no interface with index 4294967297/],
  ['fe80::1%', /an empty zone/],
  ['fe80::1%%', /no interface '%'/],
])('knock %s 7000 is refused (exit 2) before any packet', async (host, why) => {
  for (const args of [[host, '7000'], ['-n', host, '7000:udp']]) {
    const result = await runKnock(args, { env: home.env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(why);
    expectOneCleanLine(result.stderr);
  }
});

test('a store host with a NUL, a newline or an escape is refused, shown escaped; lint names it', async () => {
  const file = home.writeFile('hostile.yaml', `profiles:\n  nul:\n    host: "198.18.88.2\\0.evil"\n    open: [1, 2]\n  nl:\n    host: "198.18.88.2\\n  x"\n    open: [1, 2]\n  esc:\n    host: "198.18.88.2\\e[31m"\n    open: [1, 2]\n  mc:\n    host: 224.0.0.1\n    open: [1, 2]\n`);
  for (const name of ['nul', 'nl', 'esc']) {
    const result = await runKnock(['--config', file, '-n', name], { env: home.env });
    expect({ name, code: result.code, stdout: result.stdout }).toEqual({ name, code: 2, stdout: '' });
    expect(result.stderr).toMatch(/holds a control character/);
    expectOneCleanLine(result.stderr);
  }
  const lint = await runKnock(['--config', file, 'lint'], { env: home.env });
  expect(lint.stdout + lint.stderr).not.toMatch(RAW_CONTROL);
  for (const name of ['nul', 'nl', 'esc', 'mc']) expect(lint.stdout + lint.stderr).toMatch(new RegExp(`${name}: error: host .* is not one host to knock.*\\[not-one-host\\]`));
});

test('a 900 KB host is shown once, cut, in one line', async () => {
  const big = 'a'.repeat(900_000);
  const file = home.writeFile('big.yaml', `profiles:\n  big:\n    host: ${big}\n    open: [1, 2]\n`);
  const result = await runKnock(['--config', file, '-n', 'big'], { env: home.env });
  expect(result.code).not.toBe(0);
  expectOneCleanLine(result.stderr);
  expect(result.stderr.split('a'.repeat(60)).length - 1).toBe(1);
});

test('serve --bind a multicast or broadcast address is refused', async () => {
  home.writeConfig('profiles:\n  door:\n    host: 127.0.0.1\n    open: [7000, 7001]\n');
  for (const bind of ['224.0.0.1', 'ff02::1', '255.255.255.255']) {
    const result = await runKnock(['serve', 'door', '--bind', bind], { env: home.env, timeoutMs: 10000 });
    expect({ bind, code: result.code }).toEqual({ bind, code: 2 });
    expectOneCleanLine(result.stderr);
  }
});

test('--source: a local address written long is local', async () => {
  const result = await runKnock(['-n', '--source', '0:0:0:0:0:0:0:0001', '::1', '7000'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('dry run: nothing was sent');
});

/** A literal address and what knock must make of it. */
interface Case {
  host: string;
  expect: 'ok' | 'control' | 'not-one' | 'zone';
}

function randomCase(random: () => number): Case {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]) => list[int(list.length)]!;
  const hex = () => int(0x10000).toString(16);
  const kind = pick(['v4', 'v4', 'v6', 'v6', 'mc4', 'mc6', 'bcast', 'zero4', 'zero6', 'mapped']);
  let host: string;
  let expected: Case['expect'] = 'ok';
  switch (kind) {
    case 'v4':
      host = `198.18.${int(256)}.${1 + int(254)}`;
      break;
    case 'v6':
      host = `2001:db8:${hex()}:${hex()}::${(1 + int(0xfffe)).toString(16)}`.replace(/[a-f]/g, (c) => (random() < 0.5 ? c.toUpperCase() : c));
      if (random() < 0.3) host = host.replace('2001:db8:', '2001:0db8:');
      break;
    case 'mc4':
      host = `${224 + int(16)}.${int(256)}.${int(256)}.${int(256)}`;
      expected = 'not-one';
      break;
    case 'mc6':
      host = `ff${int(16).toString(16)}${int(16).toString(16)}::${hex()}`;
      expected = 'not-one';
      break;
    case 'bcast':
      host = '255.255.255.255';
      expected = 'not-one';
      break;
    case 'zero4':
      host = '0.0.0.0';
      expected = 'not-one';
      break;
    case 'zero6':
      host = pick(['::', '0:0:0:0:0:0:0:0', '::0']);
      expected = 'not-one';
      break;
    default:
      host = `::ffff:${pick([`198.18.${int(256)}.${1 + int(254)}`, `${224 + int(16)}.0.0.${int(256)}`])}`;
      if (/::ffff:2[23]\d\./.test(host) && Number(host.split(':').pop()!.split('.')[0]) >= 224) expected = 'not-one';
  }
  if (host.includes(':') && random() < 0.25) {
    // Index 1 is lo on Linux; 2^32 + 1 is no index at all (never taken as 1), nor an empty zone.
    const zone = pick(['lo', 'no-such-if', 'eth99', '1', '001', '4294967297', '', '%']);
    host = `fe80::${hex()}%${zone}`;
    expected = zone === 'lo' || zone === '1' || zone === '001' ? 'ok' : 'zone';
  }
  if (random() < 0.2) {
    // Inside the host: a store's surrounding whitespace is trimmed, as any value's is.
    const at = 1 + int(host.length - 1);
    host = host.slice(0, at) + String.fromCharCode(pick([0, 1, 9, 10, 13, 27, 127])) + host.slice(at);
    expected = 'control';
  }
  return { host, expect: expected };
}

test('60 seeded hostile hosts from a store: each ends as its parts say, in one clean line', async () => {
  const random = seeded(1212);
  const cases = Array.from({ length: 60 }, () => randomCase(random));
  // The generator must reach every outcome, or it proves less than it claims.
  expect(new Set(cases.map((c) => c.expect))).toEqual(new Set(['ok', 'control', 'not-one', 'zone']));
  const profiles = cases.map((c, i) => `  p${i}:\n    host: ${JSON.stringify(c.host)}\n    open: [7000, 7001]\n`).join('');
  const file = home.writeFile('fuzz.yaml', `profiles:\n${profiles}`);
  const outcomes: string[] = [];
  for (const [i, c] of cases.entries()) {
    const result = await runKnock(['--config', file, '-n', `p${i}`], { env: home.env, timeoutMs: KILL_MS });
    const got =
      result.code === 0 && result.stdout.includes('dry run: nothing was sent')
        ? 'ok'
        : result.code === 2 && /control character/.test(result.stderr)
          ? 'control'
          : result.code === 2 && /one host/.test(result.stderr)
            ? 'not-one'
            : result.code === 2 && /no interface|an empty zone/.test(result.stderr)
              ? 'zone'
              : `exit ${result.code}: ${result.stderr}`;
    if (got !== c.expect) outcomes.push(`${JSON.stringify(c.host)}: expected ${c.expect}, got ${got}`);
    expect(result.stderr + result.stdout).not.toMatch(RAW_CONTROL);
    if (result.code !== 0) expectOneCleanLine(result.stderr);
  }
  expect(outcomes).toEqual([]);
}, 60 * KILL_MS);

test('a zone read by lint and serve --bind as by the knock: an index lo has is its, one no interface has an error', async () => {
  const file = home.writeFile('zones.yaml', 'profiles:\n  byindex:\n    host: fe80::1%1\n    open: [7000, 7001]\n  noindex:\n    host: fe80::1%4294967297\n    open: [7000, 7001]\n  empty:\n    host: "fe80::1%"\n    family: 6\n    open: [7000, 7001]\n');
  const lint = await runKnock(['--config', file, 'lint'], { env: home.env });
  expect(lint.code).toBe(2);
  expect(lint.stdout).not.toMatch(/byindex: error/);
  expect(lint.stdout).toMatch(/noindex: error: host 'fe80::1%4294967297': no interface with index 4294967297 on this machine .*\[zone\]/);
  expect(lint.stdout).toMatch(/empty: error: host 'fe80::1%': an empty zone .*\[zone\]/);
  for (const bind of ['fe80::1%4294967297', 'fe80::1%', 'fe80::1%no-such-if']) {
    const serve = await runKnock(['--config', file, 'serve', 'byindex', '--bind', bind], { env: home.env, timeoutMs: 10000 });
    expect({ bind, code: serve.code }).toEqual({ bind, code: 2 });
    expect(serve.stderr).toMatch(/no interface|an empty zone/);
    expectOneCleanLine(serve.stderr);
  }
});
