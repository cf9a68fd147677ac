import { createSocket } from 'node:dgram';
import { decodeSpaPacket } from '../../../src/spa/packet.js';
import { parseSpaSettings } from '../../../src/spa/profile.js';
import { planSpa, sendSpa } from '../../../src/spa/send.js';

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

test('an IPv6 address is refused before anything is sent', async () => {
  const s = parseSpaSettings({ key_base64: K, hmac_key_base64: H }, [])!;
  await expect(planSpa(s, '::1', 22, 'tester')).rejects.toThrow(/IPv4/);
});

test('each send is exactly one new datagram that asks for our address and the service port', async () => {
  const server = createSocket('udp4');
  const got: string[] = [];
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  const port = server.address().port;
  const both = new Promise<void>((r) => server.on('message', (m) => { got.push(m.toString('latin1')); if (got.length === 2) r(); }));
  const s = parseSpaSettings({ key_base64: K, hmac_key_base64: H, port, username: 'tester' }, [])!;
  const plan = await planSpa(s, '127.0.0.1', 2222, 'nobody');
  expect(plan.request).toEqual({ allowIp: '127.0.0.1', access: ['tcp/2222'], username: 'tester', clientTimeout: 0 });
  expect(JSON.stringify(plan)).not.toContain(K);
  await sendSpa(plan, s, Date.now());
  await sendSpa(plan, s, Date.now());
  await both;
  server.close();
  expect(got[0]).not.toBe(got[1]);
  for (const w of got) expect(decodeSpaPacket(w, s.keys)).toMatchObject({ allowIp: '127.0.0.1', access: ['tcp/2222'], username: 'tester' });
});
