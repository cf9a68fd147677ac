// fwknopd's checks, on a fake clock: the 120 s window both ways, the replay cache, wrong keys,
// OPEN_PORTS, REQUIRE_SOURCE_ADDRESS, and the cache's bound.
import { SpaChecker } from '../../../src/spa/check.js';
import { encodeSpaPacket, type SpaEntropy, type SpaKeys, type SpaRequest } from '../../../src/spa/packet.js';

const keys: SpaKeys = { key: Buffer.alloc(32, 1), hmacKey: Buffer.alloc(64, 2) };
const request: SpaRequest = { allowIp: '198.18.0.1', access: ['tcp/22'], username: 'u', clientTimeout: 0 };
const NOW = 1_800_000_000;
let n = 0;
const entropy = (nowSeconds: number): SpaEntropy => ({
  nowSeconds,
  randomBytes: (k) => Buffer.alloc(k, ++n & 255),
  randomValue: () => String(1_000_000_000_000_000 + ++n),
});
const packet = (over: Partial<SpaRequest> = {}, ts = NOW, k = keys) => Buffer.from(encodeSpaPacket({ ...request, ...over }, k, entropy(ts)).wire, 'latin1');
const checker = (cacheMax?: number) => new SpaChecker({ keys, openPorts: ['tcp/22', 'udp/53'], ...(cacheMax ? { cacheMax } : {}) });

test('accepted: the allow address and the access; the same bytes again are a replay', () => {
  const c = checker();
  const p = packet();
  expect(c.check(p, NOW)).toMatchObject({ result: 'accepted', allow: '198.18.0.1', packet: { access: ['tcp/22'] } });
  expect(c.check(p, NOW + 1)).toEqual({ result: 'replay', reason: 'replay: this payload was accepted before' });
  // A new packet with the same request is not a replay.
  expect(c.check(packet(), NOW + 1).result).toBe('accepted');
});

test.each([
  [-120, 'accepted'],
  [120, 'accepted'],
  [-121, 'rejected'],
  [121, 'rejected'],
])('a timestamp %i s off: %s (|now - ts| > 120 is refused, either way)', (offset, result) => {
  expect(checker().check(packet({}, NOW + offset), NOW).result).toBe(result);
});

test('wrong keys, an access not in OPEN_PORTS, 0.0.0.0 and odd sizes are rejected, and are not cached', () => {
  const c = checker();
  expect(c.check(packet({}, NOW, { key: keys.key, hmacKey: Buffer.alloc(64, 9) }), NOW)).toEqual({ result: 'rejected', reason: 'HMAC mismatch' });
  expect(c.check(packet({}, NOW, { key: Buffer.alloc(32, 7), hmacKey: keys.hmacKey }), NOW)).toMatchObject({ result: 'rejected' });
  expect(c.check(packet({ access: ['tcp/23'] }), NOW)).toEqual({ result: 'rejected', reason: 'access tcp/23 not in OPEN_PORTS tcp/22,udp/53' });
  expect(c.check(packet({ access: ['tcp/22', 'tcp/80'] }), NOW).result).toBe('rejected');
  expect(c.check(packet({ allowIp: '0.0.0.0' }), NOW)).toMatchObject({ result: 'rejected', reason: expect.stringMatching(/REQUIRE_SOURCE_ADDRESS/) });
  expect(c.check(Buffer.alloc(20, 0x41), NOW)).toMatchObject({ reason: expect.stringMatching(/payload of 20 bytes/) });
  expect(c.check(Buffer.alloc(1501, 0x41), NOW)).toMatchObject({ reason: expect.stringMatching(/payload of 1501 bytes/) });
  expect(c.cached).toBe(0);
  // A stale packet refused once is still refused (by the clock), not let in later.
  const stale = packet({}, NOW - 200);
  expect(c.check(stale, NOW).result).toBe('rejected');
  expect(c.check(stale, NOW).result).toBe('rejected');
});

test('the cache forgets packets once their window has passed (a replay then fails the clock), and holds at most cacheMax', () => {
  const c = checker(3);
  const p = packet();
  c.check(p, NOW);
  expect(c.cached).toBe(1);
  expect(c.check(p, NOW + 121).result).toBe('replay');
  expect(c.check(p, NOW + 122)).toMatchObject({ result: 'rejected', reason: 'time difference is too great (122 seconds)' });
  expect(c.cached).toBe(0);
  for (let i = 0; i < 5; i++) expect(c.check(packet(), NOW).result).toBe('accepted');
  expect(c.cached).toBe(3);
});
