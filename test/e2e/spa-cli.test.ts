// SPA profiles through every command, with the built bin/knock against a loopback UDP listener
// that decodes what arrives (as fwknopd would). Every output of every command is kept and
// grepped for the keys at the end: they must appear nowhere.
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeSpaPacket, type SpaKeys } from '../../src/spa/packet.js';
import { KNOCK_BIN, ROOT, runKnock, TempHome, type RunResult } from '../helpers/run-knock.js';
import { listen, spawnKnock } from '../helpers/proxy-child.js';
import { until } from '../helpers/until.js';

const keys: SpaKeys = { key: Buffer.alloc(32, 0x5a), hmacKey: Buffer.alloc(64, 0xa5) };
const KEY = keys.key.toString('base64');
const HMAC = keys.hmacKey.toString('base64');
// The keys as any output could spell them: base64 with and without '=', hex.
const SECRETS = [KEY, KEY.replace(/=+$/, ''), HMAC, HMAC.replace(/=+$/, ''), keys.key.toString('hex'), keys.hmacKey.toString('hex')];

let home: TempHome;
let udp: Socket;
let spaPort = 0;
const received: string[] = [];
const outputs: { args: string[]; out: string }[] = [];

async function knock(args: string[]): Promise<RunResult> {
  const r = await runKnock(args, { env: home.env });
  outputs.push({ args, out: r.stdout + r.stderr });
  return r;
}

function store(extra = ''): void {
  home.writeConfig(
    [
      'profiles:',
      '  vault:',
      '    host: 127.0.0.1',
      '    port: 2222',
      '    spa:',
      `      key_base64: "${KEY}"`,
      `      hmac_key_base64: "${HMAC}"`,
      `      port: ${spaPort}`,
      '      username: tester',
      '  office:',
      '    host: 127.0.0.2',
      '    open: [1, 2]',
      '    close: [2, 1]',
      '  v6:',
      '    host: "::1"',
      '    spa:',
      `      key_base64: "${KEY}"`,
      `      hmac_key_base64: "${HMAC}"`,
      `      port: ${spaPort}`,
      extra,
      'groups:',
      '  both: [vault, office]',
    ].join('\n'),
  );
}

beforeAll(async () => {
  home = new TempHome();
  udp = createSocket('udp4');
  udp.on('message', (m) => received.push(m.toString('latin1')));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  spaPort = udp.address().port;
  store();
});
afterAll(() => {
  udp.close();
  home.cleanup();
});

test('knock vault: exactly one datagram, a new one each run, asking tcp/PORT for our address', async () => {
  const before = received.length;
  const a = await knock(['vault']);
  expect(a.code).toBe(0);
  expect(a.stdout).toBe(`sent SPA vault (127.0.0.1 udp/${spaPort}): tcp/2222 for 127.0.0.1\n`);
  expect(a.stderr).toBe('');
  expect(await until(() => received.length === before + 1, 5000)).toBe(true);
  const b = await knock(['open', 'vault']);
  expect(b.code).toBe(0);
  expect(await until(() => received.length === before + 2, 5000)).toBe(true);
  const [first, second] = received.slice(before);
  expect(first).not.toBe(second);
  for (const wire of [first!, second!]) {
    const d = decodeSpaPacket(wire, keys);
    expect(d).toMatchObject({ allowIp: '127.0.0.1', access: ['tcp/2222'], username: 'tester', clientTimeout: 0 });
    expect(Math.abs(d.timestamp - Date.now() / 1000)).toBeLessThan(120);
  }
});

test('--dry-run and --json --dry-run say what the packet asks for and send nothing', async () => {
  const before = received.length;
  const n = await knock(['-n', 'vault']);
  expect(n.code).toBe(0);
  expect(n.stdout).toBe(`open vault: 127.0.0.1 (IPv4), 1 SPA packet (fwknop)\n  to udp/${spaPort}: open tcp/2222 for 127.0.0.1, user tester, digest SHA256, HMAC SHA256\ndry run: nothing was sent\n`);
  const j = await knock(['--json', '-n', 'vault']);
  expect(JSON.parse(j.stdout)).toEqual({
    action: 'open', profile: 'vault', target: 'vault', host: '127.0.0.1', address: '127.0.0.1', family: 4, kind: 'spa', dryRun: true,
    spa: { port: spaPort, access: ['tcp/2222'], allow: '127.0.0.1', username: 'tester', digestType: 'SHA256', hmacDigestType: 'SHA256' },
  });
  // A real send after them is the first to arrive: the dry runs sent nothing.
  await knock(['vault']);
  expect(await until(() => received.length > before, 5000)).toBe(true);
  expect(received.length).toBe(before + 1);
});

test('--json and -v of a real send', async () => {
  const j = await knock(['--json', 'vault']);
  expect(j.code).toBe(0);
  const json = JSON.parse(j.stdout) as Record<string, unknown>;
  expect(json).toMatchObject({ kind: 'spa', dryRun: false, address: '127.0.0.1', spa: { port: spaPort, access: ['tcp/2222'] } });
  expect(typeof json.bytes).toBe('number');
  const v = await knock(['-v', 'vault']);
  expect(v.code).toBe(0);
  // The digest and HMAC types named, as fwknop -v names them; never a key.
  expect(v.stderr).toMatch(new RegExp(`^spa packet -> 127\\.0\\.0\\.1 udp/${spaPort} \\(\\d+ bytes\\) at \\+[\\d.]+ ms: open tcp/2222 for 127\\.0\\.0\\.1, digest SHA256, HMAC SHA256\\n$`));
});

test('-v names the digest and HMAC types a profile sets, in a single knock and in a group', async () => {
  store(['  strong:', '    host: 127.0.0.1', '    spa:', `      key_base64: "${KEY}"`, `      hmac_key_base64: "${HMAC}"`, `      port: ${spaPort}`, '      digest_type: SHA384', '      hmac_digest_type: SHA512'].join('\n'));
  try {
    const v = await knock(['-v', 'strong']);
    expect([v.code, v.stdout]).toEqual([0, expect.stringContaining('sent SPA strong')]);
    expect(v.stderr).toMatch(/^spa packet -> 127\.0\.0\.1 .*, digest SHA384, HMAC SHA512\n$/);
    const g = await knock(['-v', '@both']);
    expect(g.code).toBe(0);
    expect(g.stderr).toMatch(/^vault: spa packet -> 127\.0\.0\.1 .*, digest SHA256, HMAC SHA256$/m);
  } finally {
    store();
  }
});

test('--source and --ttl: the packet leaves from the source, which is then the allow address; the TTL is shown', async () => {
  const before = received.length;
  const n = await knock(['-n', 'vault', '--source', '127.0.0.1', '--ttl', '5']);
  expect(n.code).toBe(0);
  expect(n.stdout.split('\n')[0]).toBe('open vault: 127.0.0.1 (IPv4) from 127.0.0.1, TTL 5, 1 SPA packet (fwknop)');
  const r = await knock(['vault', '--source', '127.0.0.1', '--ttl', '5']);
  expect(r.code).toBe(0);
  expect(await until(() => received.length === before + 1, 5000)).toBe(true);
  const bad = await knock(['vault', '--source', '198.51.100.99']);
  expect(bad.code).not.toBe(0);
  expect(received.length).toBe(before + 1);
});

test('knock close vault: nothing sent, the access expires on the server (exit 0)', async () => {
  const before = received.length;
  const c = await knock(['close', 'vault']);
  expect(c.code).toBe(0);
  expect(c.stdout).toBe("vault: nothing sent: SPA has no close; the access expires on the server after the server's FW_ACCESS_TIMEOUT\n");
  const j = await knock(['--json', 'close', 'vault']);
  expect(JSON.parse(j.stdout)).toMatchObject({ action: 'close', profile: 'vault', kind: 'spa', sent: false });
  await knock(['vault']);
  expect(await until(() => received.length > before, 5000)).toBe(true);
  expect(received.length).toBe(before + 1);
});

test('IPv6 is refused before anything is sent: an IPv6 host, or -6', async () => {
  const v6 = await knock(['v6']);
  expect(v6.code).toBe(2);
  expect(v6.stderr).toBe("knock: profile 'v6': SPA is IPv4 only (fwknopd cannot take IPv6), and ::1 is an IPv6 address\n");
  const dash6 = await knock(['-6', 'vault']);
  expect(dash6.code).toBe(2);
  expect(dash6.stderr).toContain('SPA is IPv4 only');
});

test('a group of both kinds: the SPA packet and the knocks; close says the SPA member has none', async () => {
  const before = received.length;
  const g = await knock(['@both']);
  expect(g.code).toBe(0);
  expect(g.stdout).toContain(`sent SPA vault (127.0.0.1 udp/${spaPort})`);
  expect(g.stdout).toMatch(/knocked office: 2 knocks in/);
  expect(await until(() => received.length === before + 1, 5000)).toBe(true);
  const n = await knock(['-n', '--json', '@both']);
  const plans = JSON.parse(n.stdout) as Record<string, unknown>[];
  expect(plans.map((p) => p.kind ?? 'knock')).toEqual(['spa', 'knock']);
  const c = await knock(['close', '@both']);
  expect(c.code).toBe(0);
  expect(c.stdout).toContain('vault: nothing sent: SPA has no close');
  expect(c.stdout).toMatch(/closed office: 2 knocks in/);
});

test('--wait: the packet, then the port answers', async () => {
  const { port, server } = await listen((s) => s.end());
  try {
    const w = await knock(['open', 'vault', '--wait', String(port)]);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('sent SPA vault');
    expect(w.stdout).toContain(`${port}`);
  } finally {
    server.close();
  }
});

test('knock proxy vault PORT (relay): SPA, then the connection; no watchdog, no key in any command line', async () => {
  const before = received.length;
  const { port, server } = await listen((s) => s.end('SSH-2.0-banner\r\n'));
  try {
    const p = spawnKnock(['-v', 'proxy', 'vault', String(port)], home.env);
    // While the proxy runs, no process on the machine has a key in its command line.
    const cmdlines = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => { try { return readFileSync(`/proc/${d}/cmdline`, 'latin1'); } catch { return ''; } });
    for (const s of SECRETS) expect(cmdlines.some((c) => c.includes(s))).toBe(false);
    p.child.stdin!.end();
    const done = await p.done;
    outputs.push({ args: ['proxy'], out: done.stdout.toString('latin1') + done.stderr });
    expect(done.code).toBe(0);
    expect(done.stdout.toString()).toBe('SSH-2.0-banner\r\n');
    expect(done.stderr).toContain('is SPA: no close to send, no watchdog');
    expect(done.stderr).not.toContain('close watchdog');
    expect(received.length).toBe(before + 1);
    expect(decodeSpaPacket(received.at(-1)!, keys).access).toEqual([`tcp/2222`]);
  } finally {
    server.close();
  }
});

test('knock proxy vault PORT with ProxyUseFdpass: SPA, the connection passed unread, no watchdog left behind', async () => {
  const before = received.length;
  const { port, server } = await listen((s) => {
    s.on('error', () => {});
    s.write('SSH-2.0-banner\r\n');
  });
  try {
    // One socket as stdin and stdout, as ssh's ProxyUseFdpass gives it (Node's IPC channel stands in for ssh).
    const child = spawn('sh', ['-c', 'unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE; exec "$0" "$@" 1<&0', process.execPath, KNOCK_BIN, '-v', 'proxy', 'vault', String(port)], {
      env: home.env,
      cwd: ROOT,
      stdio: ['ipc', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', () => {});
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const socket = await new Promise<net.Socket>((resolve) => child.once('message', (_m, handle) => resolve(handle as net.Socket)));
    const first = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    expect(first).toBe('SSH-2.0-banner\r\n');
    expect(await exited).toBe(0);
    socket.destroy();
    outputs.push({ args: ['proxy fd-pass'], out: stderr });
    expect(stderr).toMatch(/^proxy: ssh takes the socket \(ProxyUseFdpass\)/m);
    expect(stderr).toContain('is SPA: no close to send, no watchdog');
    expect(stderr).toMatch(/^proxy: connection passed to ssh/m);
    expect(received.length).toBe(before + 1);
  } finally {
    server.close();
  }
});

test('show, list, list -v, --json: the settings and the key lengths, never the keys', async () => {
  const s = await knock(['show', 'vault']);
  expect(s.code).toBe(0);
  expect(s.stdout).toContain('kind:        spa');
  expect(s.stdout).toContain(`spa port:    udp/${spaPort}`);
  expect(s.stdout).toContain('keys:        32-byte key, 64-byte HMAC key (SHA256), not shown');
  const sj = JSON.parse((await knock(['--json', 'show', 'vault'])).stdout) as Record<string, unknown>;
  expect(sj).toMatchObject({ kind: 'spa', spa: { port: spaPort, keyBytes: 32, hmacKeyBytes: 64, access: ['tcp/2222'] } });
  const l = await knock(['list']);
  expect(l.stdout).toMatch(new RegExp(`vault\\s+127\\.0\\.0\\.1\\s+spa \\(fwknop\\) udp/${spaPort}: tcp/2222`));
  await knock(['-v', 'list']);
  const lj = JSON.parse((await knock(['--json', '-v', 'list'])).stdout) as { profiles: Record<string, unknown>[] };
  expect(lj.profiles.find((p) => p.name === 'vault')).toMatchObject({ kind: 'spa' });
});

test('completion offers SPA profiles beside knock profiles; close offers neither SPA profile', async () => {
  const all = await knock(['--get-yargs-completions', 'knock', 'open', '']);
  expect(all.stdout.split('\n')).toEqual(expect.arrayContaining(['vault', 'office']));
  const close = await knock(['--get-yargs-completions', 'knock', 'close', '']);
  expect(close.stdout.split('\n')).toContain('office');
  expect(close.stdout.split('\n')).not.toContain('vault');
});

test('lint: what fwknop refuses is an error naming it (no key in it); weak keys and allow: source warn', async () => {
  store(
    [
      '  same:',
      '    host: 127.0.0.1',
      '    spa:',
      `      key_base64: "${KEY}"`,
      `      hmac_key_base64: "${KEY}"`,
      '  nohmac:',
      '    host: 127.0.0.1',
      '    spa:',
      `      key_base64: "${KEY}"`,
      '  long:',
      '    host: 127.0.0.1',
      '    spa:',
      `      key_base64: "${Buffer.alloc(40, 0x5a).toString('base64')}"`,
      `      hmac_key_base64: "${HMAC}"`,
      '  weak:',
      '    host: 127.0.0.1',
      '    spa:',
      `      key_base64: "${keys.key.subarray(0, 8).toString('base64')}"`,
      `      hmac_key_base64: "${HMAC}"`,
      '      allow: source',
    ].join('\n'),
  );
  try {
    const l = await knock(['lint']);
    expect(l.code).toBe(2);
    expect(l.stdout).toContain('same: error: SPA key and HMAC key are identical; fwknop refuses that [invalid]');
    expect(l.stdout).toContain("nohmac: error: 'spa.hmac_key_base64' is missing [invalid]");
    expect(l.stdout).toContain('long: error: SPA key is 40 bytes; fwknop takes 1 to 32 [invalid]');
    expect(l.stdout).toContain('weak: warning: spa.key_base64 is 8 bytes: weak');
    expect(l.stdout).toContain("weak: warning: spa.allow is 'source'");
    const one = await knock(['lint', 'vault']);
    expect(one.code).toBe(0);
    const broken = await knock(['same']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('identical');
  } finally {
    store();
  }
});

test('knock rules vault --format fwknopd: the access.conf stanza; other formats refuse an SPA profile, fwknopd a knock profile', async () => {
  const r = await runKnock(['rules', 'vault', '--format', 'fwknopd'], { env: home.env });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const lines = r.stdout.split('\n').filter((l) => !l.startsWith('#'));
  expect(lines).toEqual([
    'SOURCE                  ANY',
    'OPEN_PORTS              tcp/2222',
    'REQUIRE_SOURCE_ADDRESS  Y',
    'FW_ACCESS_TIMEOUT       30',
    `KEY_BASE64              ${KEY}`,
    `HMAC_KEY_BASE64         ${HMAC}`,
    'HMAC_DIGEST_TYPE        SHA256',
    '',
  ]);
  expect(r.stdout).toMatch(/^# knock profile vault \(knock [\w.+-]+\): add to \/etc\/fwknop\/access\.conf/);
  const ports = await runKnock(['rules', 'vault', '-f', 'fwknopd', '--port', '22,443'], { env: home.env });
  expect(ports.stdout).toContain('OPEN_PORTS              tcp/22,tcp/443\n');
  const ipt = await knock(['rules', 'vault', '--format', 'iptables']);
  expect(ipt.code).toBe(2);
  expect(ipt.stderr).toBe("knock: profile 'vault' is an SPA profile: its server side is fwknopd (--format fwknopd)\n");
  const office = await knock(['rules', 'office', '--format', 'fwknopd']);
  expect(office.code).toBe(2);
  expect(office.stderr).toContain("profile 'office' is not an SPA profile");
  const six = await knock(['rules', 'vault', '--format', 'fwknopd', '-6']);
  expect(six.code).toBe(2);
});

test('a profile name with a terminal escape is shown escaped, never obeyed, by every SPA output', async () => {
  store(['  "v\\e[31mx":', '    host: 127.0.0.1', '    spa:', `      key_base64: "${KEY}"`, `      hmac_key_base64: "${HMAC}"`, `      port: ${spaPort}`].join('\n'));
  try {
    const name = 'v\x1b[31mx';
    for (const args of [[name], ['-n', name], ['close', name], ['show', name], ['list'], ['-v', name]]) {
      const r = await knock(args);
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('\x1b');
      expect(r.stdout + r.stderr).toContain('v\\x1b[31mx');
    }
  } finally {
    store();
  }
});

// Last: every output of every command above, grepped for the keys.
test('no output of any command above carries a key, in any spelling', () => {
  expect(outputs.length).toBeGreaterThan(25);
  const leaks = outputs.filter(({ out }) => SECRETS.some((s) => out.includes(s))).map(({ args }) => args.join(' '));
  expect(leaks).toEqual([]);
  // The check can fail: the store the commands read does hold the keys.
  expect(SECRETS.some((s) => readFileSync(home.configDir + '/config.yaml', 'utf8').includes(s))).toBe(true);
});

test('digest types: show, --json show, rules --format fwknopd and lint name them; a packet to a loopback listener carries them; an unknown one breaks the profile', async () => {
  const h = new TempHome();
  const sock: Socket = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const port = sock.address().port;
  const k: SpaKeys = { key: Buffer.alloc(32, 0x51), hmacKey: Buffer.alloc(64, 0x52) };
  try {
    const spa = (extra: string[]) => ['    host: 127.0.0.1', '    port: 22', '    spa:', `      key_base64: "${k.key.toString('base64')}"`, `      hmac_key_base64: "${k.hmacKey.toString('base64')}"`, `      port: ${port}`, '      allow: 127.0.0.1', ...extra.map((l) => `      ${l}`)];
    h.writeConfig(['profiles:', '  strong:', ...spa(['digest_type: sha3_512', 'hmac_digest_type: SHA384']), '  weak:', ...spa(['hmac_digest_type: MD5']), '  odd:', ...spa(['digest_type: SHA-1']), ''].join('\n'));
    const run = (args: string[]) => runKnock(args, { env: h.env });
    const show = await run(['show', 'strong']);
    expect(show.stdout).toContain('digests:     message SHA3_512, HMAC SHA384\n');
    expect(show.stdout).toContain('64-byte HMAC key (SHA384), not shown');
    expect(JSON.parse((await run(['--json', 'show', 'strong'])).stdout)).toMatchObject({ spa: { digestType: 'SHA3_512', hmacDigestType: 'SHA384' } });
    expect((await run(['rules', 'strong', '--format', 'fwknopd'])).stdout).toMatch(/^HMAC_DIGEST_TYPE {8}SHA384$/m);
    const lint = await run(['lint']);
    expect(`${lint.stdout}${lint.stderr}`).toContain('spa.hmac_digest_type MD5 is weak');
    expect(`${lint.stdout}${lint.stderr}`).toContain("'spa.digest_type' must be one of MD5, SHA1, SHA256, SHA384, SHA512, SHA3_256, SHA3_512");
    const odd = await run(['odd']);
    expect(odd.code).toBe(2);
    expect((await run(['strong'])).code).toBe(0);
    expect(await until(() => got.length === 1, 5000)).toBe(true);
    expect(decodeSpaPacket(got[0]!, k, 'SHA384')).toMatchObject({ digestType: 'SHA3_512', access: ['tcp/22'], allowIp: '127.0.0.1' });
    expect(() => decodeSpaPacket(got[0]!, k)).toThrow();
  } finally {
    sock.close();
    h.cleanup();
  }
});
