// knock import ~/.fwknoprc with the built bin/knock: recognised by its content, [default]
// applied to every stanza, GPG/legacy/NAT stanzas named and skipped; the keys reach the store
// and no output.
import { chmodSync, readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { decodeSpaPacket } from '../../src/spa/packet.js';
import { runKnock, TempHome, type RunResult } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const key = Buffer.alloc(32, 0x61);
const hmacKey = Buffer.alloc(64, 0x62);
const KEY = key.toString('base64');
const HMAC = hmacKey.toString('base64');

let home: TempHome;
const outputs: string[] = [];
const knock = async (args: string[]): Promise<RunResult> => {
  const r = await runKnock(args, { env: home.env, cwd: home.dir });
  outputs.push(r.stdout + r.stderr);
  return r;
};
beforeEach(() => {
  home = new TempHome();
});
afterEach(() => home.cleanup());

const rc = (port: number) =>
  [
    '# fwknop client rc',
    '[default]',
    'USE_HMAC Y',
    `HMAC_KEY_BASE64 ${HMAC}`,
    'ALLOW_IP 127.0.0.1',
    '',
    '[vault]',
    'SPA_SERVER 127.0.0.1',
    `SPA_SERVER_PORT ${port}`,
    'ACCESS tcp/2222,udp/53',
    `KEY_BASE64 ${KEY}`,
    'SPOOF_USER alice',
    'FW_TIMEOUT 45',
    '',
    '[secret-gpg]',
    'SPA_SERVER 127.0.0.1',
    'USE_GPG Y',
    'GPG_RECIPIENT 0xDEADBEEF',
    '',
    '[old]',
    'SPA_SERVER 127.0.0.1',
    'ENCRYPTION_MODE legacy',
    `KEY_BASE64 ${KEY}`,
    'ACCESS tcp/22',
    '',
    '[natted]',
    'SPA_SERVER 127.0.0.1',
    `KEY_BASE64 ${KEY}`,
    'ACCESS tcp/22',
    'NAT_ACCESS 10.0.0.1,22',
    '',
  ].join('\n');

test('each stanza a profile, skipped ones named; the imported profile sends what fwknop would', async () => {
  const udp = createSocket('udp4');
  const got: string[] = [];
  udp.on('message', (m) => got.push(m.toString('latin1')));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  try {
    const file = home.writeFile('.fwknoprc', rc(udp.address().port));
    const dry = await knock(['import', '-n', file]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('vault:');
    expect(dry.stdout).toContain('(32 bytes, not shown)');
    expect(dry.stdout).toContain('(64 bytes, not shown)');
    const json = await knock(['--json', 'import', '-n', file]);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, profiles: [{ name: 'vault', kind: 'spa', access: ['tcp/2222', 'udp/53'] }] });
    const r = await knock(['import', file]);
    expect(r.code).toBe(0);
    for (const [name, why] of [['secret-gpg', 'GPG'], ['old', 'encryption mode legacy'], ['natted', 'NAT']]) expect(r.stderr).toContain(`[${name}] skipped: ${why}`);
    expect(r.stdout).toContain('imported 1 profile');
    expect(r.stdout).toContain('(3 stanzas skipped)');
    // The keys are in the store (mode 0600), as the profile needs them.
    const stored = readFileSync(`${home.configDir}/config.yaml`, 'utf8');
    expect(stored).toContain(KEY);
    expect(stored).toContain(HMAC);
    const again = await knock(['import', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("'vault' already in");
    const sent = await knock(['vault']);
    expect(sent.code).toBe(0);
    expect(await until(() => got.length === 1, 5000)).toBe(true);
    expect(decodeSpaPacket(got[0]!, { key, hmacKey })).toMatchObject({ allowIp: '127.0.0.1', access: ['tcp/2222', 'udp/53'], username: 'alice', clientTimeout: 45 });
  } finally {
    udp.close();
  }
  for (const out of outputs) {
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(HMAC);
  }
});

test('an rc file others can read is imported with a warning; --host is refused (the stanzas name their servers)', async () => {
  const file = home.writeFile('.fwknoprc', rc(62201));
  chmodSync(file, 0o644);
  const r = await knock(['import', '-n', file]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('readable or writable by others (mode 644)');
  const h = await knock(['import', file, '--host', 'x.example']);
  expect(h.code).toBe(2);
  expect(h.stderr).toContain('drop --host/--port');
});

test('an rc file with nothing knock can send is an error naming the skipped stanzas', async () => {
  const file = home.writeFile('.fwknoprc', '[only]\nSPA_SERVER 127.0.0.1\nUSE_GPG Y\nACCESS tcp/22\n');
  const r = await knock(['import', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('[only] skipped: GPG encryption');
  expect(r.stderr).toContain('no fwknop stanza knock can send (1 skipped)');
});

test('--dry-run --json names the digest and HMAC types each profile will use (SHA256 by default), never the keys', async () => {
  const file = home.writeFile(
    '.fwknoprc',
    [rc(62201), '[strong]', 'SPA_SERVER 127.0.0.2', 'ACCESS tcp/22', `KEY_BASE64 ${KEY}`, 'DIGEST_TYPE sha384', 'HMAC_DIGEST_TYPE SHA3_512', ''].join('\n'),
  );
  const json = await knock(['--json', 'import', '-n', file]);
  expect(json.code).toBe(0);
  const profiles = (JSON.parse(json.stdout) as { profiles: Record<string, unknown>[] }).profiles;
  expect(profiles.map((p) => [p.name, p.digestType, p.hmacDigestType])).toEqual([
    ['vault', 'SHA256', 'SHA256'],
    ['strong', 'SHA384', 'SHA3_512'],
  ]);
  const real = await knock(['import', file]);
  expect(real.code).toBe(0);
  expect(real.stdout).toContain('strong: [strong] SPA to 127.0.0.2 udp/62201: tcp/22, digest SHA384, HMAC SHA3_512\n');
  for (const out of [json.stdout + json.stderr, real.stdout + real.stderr]) {
    for (const secret of [KEY, HMAC, KEY.replace(/=+$/, ''), HMAC.replace(/=+$/, '')]) expect(out).not.toContain(secret);
  }
});
