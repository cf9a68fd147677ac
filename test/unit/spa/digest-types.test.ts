// The digest types fwknop 2.6.10 lets a user choose (--digest-type, --hmac-digest-type):
// fwknop's own packets rebuilt and verified for each, and each one's profile key, lint and server side.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessConfStanza } from '../../../src/spa/access-conf.js';
import { SpaChecker } from '../../../src/spa/check.js';
import { parseFwknoprc } from '../../../src/spa/fwknoprc.js';
import { lintSpa } from '../../../src/spa/lint.js';
import {
  decodeSpaPacket,
  encodeMessage,
  encodeSpaPacket,
  messageDigest,
  SPA_DIGEST_B64_LENGTH,
  SPA_DIGEST_TYPES,
  spaDigestType,
  type SpaDigestType,
  type SpaEntropy,
  type SpaKeys,
  type SpaRequest,
} from '../../../src/spa/packet.js';
import { parseSpaSettings } from '../../../src/spa/profile.js';

const FWKNOP = '/usr/bin/fwknop';
const haveFwknop = existsSync(FWKNOP);
const keys: SpaKeys = {
  key: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255)),
  hmacKey: Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 53 + 5) & 255)),
};
const request: SpaRequest = { allowIp: '10.0.0.5', access: ['tcp/22'], username: 'tester', clientTimeout: 0 };
const NOW = 1_796_185_806;
let n = 0;
const entropy = (now = NOW): SpaEntropy => ({ nowSeconds: now, randomBytes: (k) => Buffer.alloc(k, ++n & 255), randomValue: () => String(1_000_000_000_000_000 + ++n) });

/** digest type, HMAC type: every type appears as each at least once. */
const PAIRS: [SpaDigestType, SpaDigestType][] = [
  ['MD5', 'MD5'],
  ['SHA1', 'SHA1'],
  ['SHA256', 'SHA256'],
  ['SHA384', 'SHA512'],
  ['SHA512', 'SHA384'],
  ['SHA3_256', 'SHA3_512'],
  ['SHA3_512', 'SHA3_256'],
  ['SHA256', 'SHA1'],
];

test('the digest types by fwknop names, in any case; anything else is not one', () => {
  expect(SPA_DIGEST_TYPES).toEqual(['MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512', 'SHA3_256', 'SHA3_512']);
  expect(spaDigestType('sha3_256')).toBe('SHA3_256');
  expect(spaDigestType('Sha512')).toBe('SHA512');
  for (const bad of ['SHA-256', 'sha3-256', 'SHA224', '', 'SHA256 ', ' MD5', 'SHA256\n', 'toString', '__proto__']) expect(spaDigestType(bad)).toBeUndefined();
});

test.each(PAIRS)('digest %s, HMAC %s: the packet decodes with the HMAC type, its digest type known by length; another HMAC type refuses it', (digest, hmac) => {
  const p = encodeSpaPacket(request, keys, entropy(), { digest, hmac });
  expect(p.digest).toHaveLength(SPA_DIGEST_B64_LENGTH[digest]);
  const d = decodeSpaPacket(p.wire, keys, hmac);
  expect(d).toMatchObject({ allowIp: '10.0.0.5', access: ['tcp/22'], digest: p.digest, digestType: digest });
  for (const other of SPA_DIGEST_TYPES.filter((t) => t !== hmac)) expect(() => decodeSpaPacket(p.wire, keys, other)).toThrow(/HMAC mismatch|not Rijndael|not base64|out of range/);
});

test('a profile takes digest_type and hmac_digest_type (SHA256 both by default); a name fwknop does not know is an error', () => {
  const base = { key_base64: keys.key.toString('base64'), hmac_key_base64: keys.hmacKey.toString('base64') };
  expect(parseSpaSettings(base, [])?.digests).toEqual({ digest: 'SHA256', hmac: 'SHA256' });
  expect(parseSpaSettings({ ...base, digest_type: 'sha384', hmac_digest_type: 'SHA3_512' }, [])?.digests).toEqual({ digest: 'SHA384', hmac: 'SHA3_512' });
  const errors: string[] = [];
  parseSpaSettings({ ...base, digest_type: 'SHA-1', hmac_digest_type: 512 }, errors);
  expect(errors).toEqual([
    "'spa.digest_type' must be one of MD5, SHA1, SHA256, SHA384, SHA512, SHA3_256, SHA3_512",
    "'spa.hmac_digest_type' must be one of MD5, SHA1, SHA256, SHA384, SHA512, SHA3_256, SHA3_512",
  ]);
});

test('lint: MD5 and SHA1 are weak (a warning each), SHA256 and up are not', () => {
  const base = { key_base64: keys.key.toString('base64'), hmac_key_base64: keys.hmacKey.toString('base64') };
  const lint = (over: Record<string, unknown>) => lintSpa(parseSpaSettings({ ...base, ...over }, [])!).map((f) => `${f.level} ${f.code} ${f.message.split(' ').slice(0, 2).join(' ')}`);
  expect(lint({ digest_type: 'MD5', hmac_digest_type: 'SHA1' })).toEqual(['warning spa-weak-digest spa.digest_type MD5', 'warning spa-weak-digest spa.hmac_digest_type SHA1']);
  for (const t of ['SHA256', 'SHA384', 'SHA512', 'SHA3_256', 'SHA3_512']) expect(lint({ digest_type: t, hmac_digest_type: t })).toEqual([]);
});

test("knock serve's check takes the HMAC type the profile names, as fwknopd's HMAC_DIGEST_TYPE, and any message digest", () => {
  const c = new SpaChecker({ keys, openPorts: ['tcp/22'], hmacType: 'SHA512' });
  const pkt = (digest: SpaDigestType, hmac: SpaDigestType) => Buffer.from(encodeSpaPacket(request, keys, entropy(), { digest, hmac }).wire, 'latin1');
  expect(c.check(pkt('SHA384', 'SHA512'), NOW)).toMatchObject({ result: 'accepted', packet: { digestType: 'SHA384' } });
  expect(c.check(pkt('MD5', 'SHA512'), NOW)).toMatchObject({ result: 'accepted', packet: { digestType: 'MD5' } });
  expect(c.check(pkt('SHA384', 'SHA256'), NOW)).toMatchObject({ result: 'rejected' });
  expect(c.check(pkt('SHA384', 'SHA3_512'), NOW)).toEqual({ result: 'rejected', reason: 'HMAC mismatch' });
  // Without one: SHA256, fwknopd's default.
  const d = new SpaChecker({ keys, openPorts: ['tcp/22'] });
  expect(d.check(pkt('SHA256', 'SHA256'), NOW).result).toBe('accepted');
  expect(d.check(pkt('SHA256', 'SHA512'), NOW).result).toBe('rejected');
});

test('the access.conf stanza names the HMAC type; an fwknoprc stanza maps DIGEST_TYPE and HMAC_DIGEST_TYPE, and skips a name fwknop does not know', () => {
  const stanza = accessConfStanza({ profile: 'vault', access: ['tcp/22'], keyBase64: 'a'.repeat(44), hmacKeyBase64: 'b'.repeat(88), hmacDigestType: 'SHA512' });
  expect(stanza).toMatch(/^HMAC_DIGEST_TYPE {8}SHA512$/m);
  expect(accessConfStanza({ profile: 'vault', access: ['tcp/22'], keyBase64: 'a'.repeat(44), hmacKeyBase64: 'b'.repeat(88) })).toMatch(/^HMAC_DIGEST_TYPE {8}SHA256$/m);
  const rc = parseFwknoprc(
    ['[default]', 'HMAC_DIGEST_TYPE sha512', 'ALLOW_IP source', `HMAC_KEY_BASE64 ${'b'.repeat(86)}==`, `KEY_BASE64 ${'a'.repeat(43)}=`, 'ACCESS tcp/22',
      '[a]', 'SPA_SERVER h', 'DIGEST_TYPE SHA3_256',
      '[b]', 'SPA_SERVER h', 'HMAC_DIGEST_TYPE md5',
      '[c]', 'SPA_SERVER h', 'DIGEST_TYPE sha224',
      '[d]', 'SPA_SERVER h'].join('\n'),
  );
  expect(rc.stanzas.map((s) => [s.name, s.digestType, s.hmacDigestType])).toEqual([
    ['a', 'SHA3_256', 'SHA512'],
    ['b', undefined, 'MD5'],
    ['d', undefined, 'SHA512'],
  ]);
  expect(rc.skipped).toEqual([{ name: 'c', reason: 'DIGEST_TYPE "sha224" is not one of MD5, SHA1, SHA256, SHA384, SHA512, SHA3_256, SHA3_512' }]);
});

(haveFwknop ? describe : describe.skip)('against the real fwknop client, for each digest type', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'knock-spa-digest-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function runFwknop(digest: SpaDigestType, hmac: SpaDigestType): { out: string; wire: string } {
    const pkt = join(dir, 'pkt.txt');
    rmSync(pkt, { force: true });
    // Test keys only; --no-save-args and a throwaway HOME keep fwknop from writing anywhere else.
    const out = execFileSync(
      FWKNOP,
      ['--no-save-args', '--rc-file', join(dir, 'fwknoprc'), '-A', 'tcp/22', '-a', '10.0.0.5', '-D', '127.0.0.1', '--use-hmac',
        '--key-base64-rijndael', keys.key.toString('base64'), '--key-base64-hmac', keys.hmacKey.toString('base64'),
        '--digest-type', digest.toLowerCase(), '--hmac-digest-type', hmac.toLowerCase(), '-T', '-v', '-B', pkt],
      { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: dir, SPOOF_USER: 'tester' } },
    );
    return { out, wire: readFileSync(pkt, 'utf8').replace(/\n$/, '') };
  }
  const field = (out: string, name: string): string => {
    const m = new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(out);
    if (!m?.[1]) throw new Error(`no ${name} in fwknop output`);
    return m[1];
  };

  test.each(PAIRS)('--digest-type %s --hmac-digest-type %s: Encoded Data, SPA Data Digest and HMAC rebuilt; the -B packet decrypts and verifies', (digest, hmac) => {
    const { out, wire } = runFwknop(digest, hmac);
    // fwknop names the types it used as knock does.
    expect(field(out, 'Digest Type')).toMatch(new RegExp(`^\\d+ \\(${digest}\\)$`));
    expect(field(out, 'HMAC Type')).toMatch(new RegExp(`^\\d+ \\(${hmac}\\)$`));
    const [allowIp = '', ...access] = field(out, 'Message String').split(',');
    const encoded = encodeMessage({ allowIp, access, username: field(out, 'Username'), clientTimeout: 0 }, field(out, 'Random Value'), Number(field(out, 'Timestamp')));
    expect(encoded).toBe(field(out, 'Encoded Data'));
    expect(messageDigest(encoded, digest)).toBe(field(out, 'SPA Data Digest'));
    expect(wire.endsWith(field(out, 'HMAC'))).toBe(true);
    expect(field(out, 'HMAC')).toHaveLength(SPA_DIGEST_B64_LENGTH[hmac]);
    const d = decodeSpaPacket(wire, keys, hmac);
    expect(d).toMatchObject({ encoded: field(out, 'Encoded Data'), digest: field(out, 'SPA Data Digest'), digestType: digest, allowIp: '10.0.0.5', access: ['tcp/22'], username: 'tester' });
    const wrong = hmac === 'SHA256' ? 'SHA512' : 'SHA256';
    expect(() => decodeSpaPacket(wire, keys, wrong)).toThrow();
  });
});

test('-v names the digest and HMAC types the packet uses, never a key', async () => {
  const { planSpaPacket, spaSentLine } = await import('../../../src/spa/plan.js');
  const errors: string[] = [];
  const settings = parseSpaSettings({ key_base64: keys.key.toString('base64'), hmac_key_base64: keys.hmacKey.toString('base64'), digest_type: 'SHA3_256', hmac_digest_type: 'SHA384', allow: '198.18.0.1' }, errors)!;
  expect(errors).toEqual([]);
  const spa = await planSpaPacket({ settings, address: '198.18.0.2', servicePort: 22, serviceProtocol: 'tcp', defaultUser: 'tester', nowSeconds: NOW });
  const plan = { action: 'open' as const, target: 'v', host: '198.18.0.2', address: '198.18.0.2', family: 4 as const, knocks: [], spa };
  const line = spaSentLine(plan, { bytes: 200, elapsedMs: 0.5 });
  expect(line).toMatch(/, digest SHA3_256, HMAC SHA384$/);
  for (const secret of [keys.key, keys.hmacKey]) for (const form of ['base64', 'hex'] as const) expect(line).not.toContain(secret.toString(form).replace(/=+$/, ''));
});
