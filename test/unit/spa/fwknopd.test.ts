// Our packets, written into a pcap file, read by Debian's fwknopd in test mode (-t: no firewall change).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessConfStanza as stanzaFor } from '../../../src/spa/access-conf.js';
import { encodeSpaPacket, realEntropy, type SpaDigestType, type SpaKeys, type SpaRequest } from '../../../src/spa/packet.js';
import { spaPcap } from './spa-pcap.js';

const FWKNOPD = '/usr/sbin/fwknopd';
const runnable = existsSync(FWKNOPD) && process.getuid?.() === 0;
if (!runnable) test.skip('fwknopd tests need /usr/sbin/fwknopd and root', () => undefined);

const keys: SpaKeys = {
  key: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 29 + 3) & 255)),
  hmacKey: Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 41 + 17) & 255)),
};
const request: SpaRequest = { allowIp: '198.18.0.5', access: ['tcp/22'], username: 'tester', clientTimeout: 0 };

(runnable ? describe : describe.skip)('Debian fwknopd reading our packets', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'knock-fwknopd-'));
    writeFileSync(join(dir, 'fwknopd.conf'), `ENABLE_SPA_PACKET_AGING Y\nFWKNOP_RUN_DIR ${dir}\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'access.conf'),
      `SOURCE ANY\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nKEY_BASE64 ${keys.key.toString('base64')}\nHMAC_KEY_BASE64 ${keys.hmacKey.toString('base64')}\n`,
      { mode: 0o600 },
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function serve(wire: string): string {
    const pcap = join(dir, 'x.pcap');
    writeFileSync(pcap, spaPcap(wire, '198.18.0.5', '198.18.0.1', 62201, Math.floor(Date.now() / 1000)));
    const r = spawnSync(FWKNOPD, ['-f', '-t', '-c', join(dir, 'fwknopd.conf'), '-a', join(dir, 'access.conf'), '-d', join(dir, 'digest.cache'), '-p', join(dir, 'pid'), '--pcap-file', pcap, '-C', '1', '-v', '-v'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    return `${r.stdout}${r.stderr}`;
  }
  const now = (): number => Math.floor(Date.now() / 1000);

  test('a fresh packet is accepted for the stanza', () => {
    const out = serve(encodeSpaPacket(request, keys, realEntropy(now())).wire);
    expect(out).toContain('SPA Decode (res=0)');
    expect(out).toMatch(/\[198\.18\.0\.5\] \(stanza #1\) --test mode enabled, skipping firewall manipulation/);
  });

  test('the wrong HMAC key opens nothing', () => {
    const out = serve(encodeSpaPacket(request, { ...keys, hmacKey: Buffer.alloc(64, 1) }, realEntropy(now())).wire);
    expect(out).not.toContain('skipping firewall manipulation');
    expect(out).toMatch(/HMAC/);
  });

  test('a timestamp outside the 120 s window opens nothing', () => {
    const out = serve(encodeSpaPacket(request, keys, realEntropy(now() - 200)).wire);
    expect(out).toMatch(/time difference is too great/);
    expect(out).not.toContain('skipping firewall manipulation');
  });

  test('a port outside OPEN_PORTS is denied', () => {
    const out = serve(encodeSpaPacket({ ...request, access: ['tcp/23'] }, keys, realEntropy(now())).wire);
    expect(out).toMatch(/denied per access\.conf/);
  });
});

(runnable ? describe : describe.skip)('the access.conf stanza knock writes', () => {
  test('fwknopd accepts our packet under it', async () => {
    const { accessConfStanza } = await import('../../../src/spa/access-conf.js');
    const { mkdtempSync: mk } = await import('node:fs');
    const d = mk(join(tmpdir(), 'knock-fwknopd-'));
    try {
      writeFileSync(join(d, 'fwknopd.conf'), `FWKNOP_RUN_DIR ${d}\n`, { mode: 0o600 });
      writeFileSync(join(d, 'access.conf'), accessConfStanza({ profile: 'vault', access: ['tcp/22'], keyBase64: keys.key.toString('base64'), hmacKeyBase64: keys.hmacKey.toString('base64') }), { mode: 0o600 });
      const pcap = join(d, 'x.pcap');
      writeFileSync(pcap, spaPcap(encodeSpaPacket(request, keys, realEntropy(Math.floor(Date.now() / 1000))).wire, '198.18.0.5', '198.18.0.1', 62201, Math.floor(Date.now() / 1000)));
      const r = spawnSync(FWKNOPD, ['-f', '-t', '-c', join(d, 'fwknopd.conf'), '-a', join(d, 'access.conf'), '-d', join(d, 'digest.cache'), '-p', join(d, 'pid'), '--pcap-file', pcap, '-C', '1', '-v'], { encoding: 'utf8', timeout: 20_000 });
      expect(`${r.stdout}${r.stderr}`).toMatch(/\(stanza #1\) --test mode enabled, skipping firewall manipulation/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

(runnable ? describe : describe.skip)('fwknopd with each HMAC_DIGEST_TYPE, reading our packets of each digest type', () => {
  let d = '';
  beforeAll(() => {
    d = mkdtempSync(join(tmpdir(), 'knock-fwknopd-'));
    writeFileSync(join(d, 'fwknopd.conf'), `FWKNOP_RUN_DIR ${d}\n`, { mode: 0o600 });
  });
  afterAll(() => rmSync(d, { recursive: true, force: true }));

  function serveUnder(hmacDigestType: SpaDigestType, wire: string): string {
    writeFileSync(join(d, 'access.conf'), stanzaFor({ profile: 'vault', access: ['tcp/22'], keyBase64: keys.key.toString('base64'), hmacKeyBase64: keys.hmacKey.toString('base64'), hmacDigestType }), { mode: 0o600 });
    const pcap = join(d, 'x.pcap');
    writeFileSync(pcap, spaPcap(wire, '198.18.0.5', '198.18.0.1', 62201, Math.floor(Date.now() / 1000)));
    const r = spawnSync(FWKNOPD, ['-f', '-t', '-c', join(d, 'fwknopd.conf'), '-a', join(d, 'access.conf'), '-d', join(d, 'digest.cache'), '-p', join(d, 'pid'), '--pcap-file', pcap, '-C', '1', '-v', '-v'], { encoding: 'utf8', timeout: 20_000 });
    return `${r.stdout}${r.stderr}`;
  }
  const now = (): number => Math.floor(Date.now() / 1000);

  test.each<[SpaDigestType, SpaDigestType]>([
    ['MD5', 'MD5'],
    ['SHA1', 'SHA1'],
    ['SHA384', 'SHA512'],
    ['SHA512', 'SHA384'],
    ['SHA3_256', 'SHA3_512'],
    ['SHA3_512', 'SHA3_256'],
  ])('digest %s, HMAC %s: accepted, and fwknopd names the same types', (digest, hmac) => {
    const out = serveUnder(hmac, encodeSpaPacket(request, keys, realEntropy(now()), { digest, hmac }).wire);
    expect(out).toContain('SPA Decode (res=0)');
    expect(out).toMatch(new RegExp(`Digest Type: \\d+ \\(${digest}\\)`));
    expect(out).toMatch(new RegExp(`HMAC Type: \\d+ \\(${hmac}\\)`));
    expect(out).toMatch(/\(stanza #1\) --test mode enabled, skipping firewall manipulation/);
  });

  test('an HMAC of another type than the stanza names opens nothing', () => {
    const out = serveUnder('SHA512', encodeSpaPacket(request, keys, realEntropy(now()), { digest: 'SHA384', hmac: 'SHA256' }).wire);
    expect(out).not.toContain('skipping firewall manipulation');
    expect(out).toContain('FKO_ERROR_INVALID_DATA_HMAC_COMPAREFAIL');
  });
});
