import { looksLikeFwknoprc, parseFwknoprc } from '../../../src/spa/fwknoprc.js';

const K = 'a'.repeat(43) + '=';
const H = 'b'.repeat(86) + '==';

test('stanzas inherit [default]; GPG, legacy, NAT, resolve and HMAC-less stanzas are named and skipped', () => {
  const text = [
    '# fwknop rc',
    '[default]',
    'HMAC_DIGEST_TYPE SHA256',
    'ALLOW_IP source',
    `HMAC_KEY_BASE64 ${H}`,
    '',
    '[vault]',
    'SPA_SERVER 198.18.0.1',
    'ACCESS tcp/22',
    `KEY_BASE64 ${K}`,
    'SPOOF_USER alice',
    'FW_TIMEOUT 60',
    'TIME_OFFSET_MINUS 2min',
    '[gpg]',
    'SPA_SERVER 198.18.0.2',
    'USE_GPG Y',
    '[old]',
    'SPA_SERVER 198.18.0.3',
    'ENCRYPTION_MODE legacy',
    `KEY_BASE64 ${K}`,
    'ACCESS tcp/22',
    '[nat]',
    'SPA_SERVER 198.18.0.4',
    'NAT_ACCESS 10.0.0.1,22',
    '[web]',
    'SPA_SERVER 198.18.0.5',
    `KEY_BASE64 ${K}`,
    'ACCESS tcp/22',
    'ALLOW_IP resolve',
    '[nohmac]',
    'SPA_SERVER 198.18.0.6',
    `KEY_BASE64 ${K}`,
    'ACCESS tcp/22',
    'HMAC_KEY_BASE64 ',
  ].join('\n');
  expect(looksLikeFwknoprc(text)).toBe(true);
  expect(looksLikeFwknoprc('Host vault\n  Port 22\n')).toBe(false);
  const r = parseFwknoprc(text);
  expect(r.stanzas).toEqual([
    { name: 'vault', host: '198.18.0.1', port: 62201, access: ['tcp/22'], allow: 'source', keyBase64: K, hmacKeyBase64: H, username: 'alice', clientTimeout: 60, timeOffset: -120, hmacDigestType: 'SHA256' },
  ]);
  expect(r.skipped.map((s) => s.name)).toEqual(['gpg', 'old', 'nat', 'web', 'nohmac']);
  expect(r.skipped[0]?.reason).toMatch(/GPG/);
  expect(r.skipped[1]?.reason).toMatch(/legacy/);
  expect(r.skipped[2]?.reason).toMatch(/NAT/);
  expect(r.skipped[3]?.reason).toMatch(/resolve/);
});

test('a passphrase KEY becomes its bytes in base64; IPv6 allow and bad ACCESS are skipped', () => {
  const r = parseFwknoprc(`[a]\nSPA_SERVER h\nKEY hunter2\nHMAC_KEY other\nALLOW_IP 198.18.0.9\nACCESS tcp/22,udp/53\n[b]\nSPA_SERVER h\nKEY x\nHMAC_KEY y\nALLOW_IP 2001:db8::1\nACCESS tcp/22\n[c]\nSPA_SERVER h\nKEY x\nHMAC_KEY y\nALLOW_IP source\nACCESS ssh\n`);
  expect(r.stanzas[0]).toMatchObject({ keyBase64: Buffer.from('hunter2').toString('base64'), access: ['tcp/22', 'udp/53'], allow: '198.18.0.9' });
  expect(r.skipped).toEqual([
    { name: 'b', reason: 'ALLOW_IP 2001:db8::1 is not IPv4' },
    { name: 'c', reason: expect.stringMatching(/ACCESS/) as unknown as string },
  ]);
});

test('a FW_TIMEOUT that is not a number of seconds skips the stanza', () => {
  const r = parseFwknoprc('[a]\nSPA_SERVER h\nKEY x\nHMAC_KEY y\nALLOW_IP source\nACCESS tcp/22\nFW_TIMEOUT soon\n');
  expect(r.stanzas).toEqual([]);
  expect(r.skipped[0]?.reason).toMatch(/FW_TIMEOUT/);
});
