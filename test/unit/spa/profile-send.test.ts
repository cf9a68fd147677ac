import { createSocket } from 'node:dgram';
import { inspect } from 'node:util';
import { decodeSpaPacket } from '../../../src/spa/packet.js';
import { parseSpaSettings } from '../../../src/spa/profile.js';
import { planSpaPacket, sendSpaPlan, type SpaPlan } from '../../../src/spa/plan.js';
import type { SpaSettings } from '../../../src/spa/profile.js';

const plan = async (s: SpaSettings, address: string, servicePort: number, defaultUser: string): Promise<SpaPlan> => ({
  action: 'open',
  target: 'p',
  host: address,
  address,
  family: 4,
  knocks: [],
  spa: await planSpaPacket({ settings: s, address, servicePort, serviceProtocol: 'tcp', defaultUser, nowSeconds: Math.floor(Date.now() / 1000) }),
});

const K = Buffer.alloc(32, 3).toString('base64');
const H = Buffer.alloc(64, 4).toString('base64');

test('an spa mapping parses with fwknop defaults; errors never carry a key', () => {
  const errors: string[] = [];
  const s = parseSpaSettings({ key_base64: K, hmac_key_base64: H }, errors);
  expect(errors).toEqual([]);
  expect(s).toMatchObject({ port: 62201, clientTimeout: 0, timeOffset: 0 });
  const bad: string[] = [];
  parseSpaSettings({ key_base64: K, hmac_key_base64: K, port: 0, access: ['ssh'], allow: '2001:db8::1', extra: 1 }, bad);
  expect(bad.join('\n')).toMatch(/identical/);
  expect(bad.join('\n')).toMatch(/spa\.port/);
  expect(bad.join('\n')).toMatch(/spa\.access/);
  expect(bad.join('\n')).toMatch(/spa\.allow/);
  expect(bad.join('\n')).toMatch(/spa\.extra/);
  expect(bad.join('\n')).not.toContain(K);
  const missing: string[] = [];
  expect(parseSpaSettings({ key_base64: K }, missing)).toBeUndefined();
  expect(missing).toEqual(["'spa.hmac_key_base64' is missing"]);
  const long: string[] = [];
  parseSpaSettings({ key_base64: Buffer.alloc(40, 1).toString('base64'), hmac_key_base64: H }, long);
  expect(long.join('\n')).toMatch(/40 bytes/);
});

test('a username fwknop refuses, or a packet too long for fwknopd, fails the plan (nothing is sent)', async () => {
  const s = parseSpaSettings({ key_base64: K, hmac_key_base64: H, allow: '127.0.0.1' }, [])!;
  await expect(plan({ ...s, username: 'a:b' }, '127.0.0.1', 22, 'x')).rejects.toThrow(/username/);
  await expect(plan({ ...s, access: Array.from({ length: 30 }, (_, i) => `tcp/${10000 + i}`) }, '127.0.0.1', 22, 'x')).rejects.toThrow(/SPA packet would be \d+ bytes/);
});

test('each send is exactly one new datagram that asks for our address and the service port', async () => {
  const server = createSocket('udp4');
  const got: string[] = [];
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  const port = server.address().port;
  const both = new Promise<void>((r) => server.on('message', (m) => { got.push(m.toString('latin1')); if (got.length === 2) r(); }));
  const s = parseSpaSettings({ key_base64: K, hmac_key_base64: H, port, username: 'tester' }, [])!;
  const p = await plan(s, '127.0.0.1', 2222, 'nobody');
  expect(p.spa.request).toEqual({ allowIp: '127.0.0.1', access: ['tcp/2222'], username: 'tester', clientTimeout: 0 });
  // The keys ride in an SpaSecret: JSON, inspect and templates show "[secret]".
  expect(JSON.stringify(p)).not.toContain(K);
  expect(JSON.stringify(p)).toContain('"secret":"[secret]"');
  expect(inspect(p, { depth: 9 })).not.toMatch(/Buffer/);
  expect(`${p.spa.secret}`).toBe('[secret]');
  await sendSpaPlan(p);
  await sendSpaPlan(p);
  await both;
  server.close();
  expect(got[0]).not.toBe(got[1]);
  for (const w of got) expect(decodeSpaPacket(w, s.keys)).toMatchObject({ allowIp: '127.0.0.1', access: ['tcp/2222'], username: 'tester' });
});
