import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSpaPacket, encodeMessage, encodeSpaPacket, messageDigest, SpaDecodeError, type SpaEntropy, type SpaKeys, type SpaRequest } from '../../../src/spa/packet.js';

const FWKNOP = '/usr/bin/fwknop';
const haveFwknop = existsSync(FWKNOP);
const keys: SpaKeys = { key: Buffer.alloc(32, 7), hmacKey: Buffer.alloc(64, 9) };
const request: SpaRequest = { allowIp: '10.0.0.5', access: ['tcp/22'], username: 'tester', clientTimeout: 0 };
const fixed = (now = 1_796_185_806, salt = Buffer.alloc(8, 1), rand = '1602600841183155'): SpaEntropy => ({
  nowSeconds: now,
  randomBytes: (n) => salt.subarray(0, n),
  randomValue: () => rand,
});

test('the encoded message is the fields fwknop joins with colons, base64 without padding', () => {
  expect(encodeMessage(request, '1602600841183155', 1796185806)).toBe('1602600841183155:dGVzdGVy:1796185806:3.0.0:1:MTAuMC4wLjUsdGNwLzIy');
  expect(encodeMessage({ ...request, clientTimeout: 45 }, '1602600841183155', 1)).toMatch(/:3:[^:]+:45$/);
});

test('a packet decodes back to what was asked, and each send is a new packet', () => {
  const a = encodeSpaPacket(request, keys, fixed());
  expect(a.wire.startsWith('U2FsdGVkX1')).toBe(false);
  expect(a.wire.length).toBeGreaterThanOrEqual(140);
  expect(a.wire.length).toBeLessThan(400);
  const d = decodeSpaPacket(a.wire, keys);
  expect(d).toMatchObject({ allowIp: '10.0.0.5', access: ['tcp/22'], username: 'tester', timestamp: 1796185806, messageType: 1 });
  const b = encodeSpaPacket(request, keys, fixed(1_796_185_806, Buffer.alloc(8, 2), '1602600841183156'));
  expect(b.wire).not.toBe(a.wire);
});

test('wrong keys, a flipped byte or a bare prefix are refused', () => {
  const { wire } = encodeSpaPacket(request, keys, fixed());
  expect(() => decodeSpaPacket(wire, { ...keys, hmacKey: Buffer.alloc(64, 8) })).toThrow(SpaDecodeError);
  expect(() => decodeSpaPacket(wire, { ...keys, key: Buffer.alloc(32, 8) })).toThrow(SpaDecodeError);
  const flipped = (wire[5] === 'A' ? 'B' : 'A');
  expect(() => decodeSpaPacket(wire.slice(0, 5) + flipped + wire.slice(6), keys)).toThrow(SpaDecodeError);
  expect(() => decodeSpaPacket('U2FsdGVkX1' + wire, keys)).toThrow(SpaDecodeError);
});

test('requests fwknop would refuse are refused before anything is built', () => {
  expect(() => encodeSpaPacket({ ...request, allowIp: '2001:db8::1' }, keys, fixed())).toThrow(/IPv4/);
  expect(() => encodeSpaPacket({ ...request, username: 'a:b' }, keys, fixed())).toThrow(/username/);
  expect(() => encodeSpaPacket({ ...request, access: ['tcp/0'] }, keys, fixed())).toThrow(/access/);
  expect(() => encodeSpaPacket(request, { key: Buffer.alloc(33, 1), hmacKey: keys.hmacKey }, fixed())).toThrow(/33 bytes/);
  expect(() => encodeSpaPacket(request, { key: Buffer.alloc(32, 1), hmacKey: Buffer.alloc(32, 1) }, fixed())).toThrow(/identical/);
  expect(() => encodeSpaPacket({ ...request, access: Array.from({ length: 20 }, (_, i) => `tcp/${1000 + i}`) }, keys, fixed())).toThrow(/bytes; fwknopd takes/);
});

(haveFwknop ? describe : describe.skip)('against the real fwknop client', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'knock-spa-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function runFwknop(k: SpaKeys, extra: string[]): { out: string; wire: string } {
    const rc = join(dir, 'fwknoprc');
    writeFileSync(rc, `[knocktest]\nKEY_BASE64 ${k.key.toString('base64')}\nHMAC_KEY_BASE64 ${k.hmacKey.toString('base64')}\nUSE_HMAC Y\nSPA_SERVER 127.0.0.1\n`, { mode: 0o600 });
    const pkt = join(dir, 'pkt.txt');
    rmSync(pkt, { force: true });
    const out = execFileSync(FWKNOP, ['--rc-file', rc, '-n', 'knocktest', '-A', 'tcp/22', '-a', '10.0.0.5', '-T', '-v', '-B', pkt, ...extra], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, SPOOF_USER: 'tester' },
    });
    return { out, wire: readFileSync(pkt, 'utf8').replace(/\n$/, '') };
  }
  const field = (out: string, name: string): string => {
    const m = new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(out);
    if (!m?.[1]) throw new Error(`no ${name} in fwknop output`);
    return m[1];
  };

  test.each([[[]], [['-f', '77']]])('Encoded Data and SPA Data Digest rebuilt from the printed fields (%j)', (extra) => {
    const { out } = runFwknop(keys, extra);
    const [allowIp = '', ...access] = field(out, 'Message String').split(',');
    const encoded = encodeMessage(
      { allowIp, access, username: field(out, 'Username'), clientTimeout: Number(field(out, 'Client Timeout')) },
      field(out, 'Random Value'),
      Number(field(out, 'Timestamp')),
    );
    expect(encoded).toBe(field(out, 'Encoded Data'));
    expect(messageDigest(encoded)).toBe(field(out, 'SPA Data Digest'));
  });

  test('packets fwknop wrote with -B decrypt and verify, and fail with the wrong HMAC key', () => {
    const random: SpaKeys = { key: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255)), hmacKey: Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 53 + 5) & 255)) };
    const { out, wire } = runFwknop(random, []);
    const d = decodeSpaPacket(wire, random);
    expect(d.encoded).toBe(field(out, 'Encoded Data'));
    expect(d.digest).toBe(field(out, 'SPA Data Digest'));
    expect(d).toMatchObject({ allowIp: '10.0.0.5', access: ['tcp/22'], username: 'tester' });
    expect(() => decodeSpaPacket(wire, { ...random, hmacKey: keys.hmacKey })).toThrow(/HMAC/);
  });
});
