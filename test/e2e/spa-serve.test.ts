// knock serve of an SPA profile, with the built bin/knock on both sides and fwknop's own client:
// an accepted packet opens for its allow address and runs --on-open; the same bytes resent are
// a replay and open nothing; wrong keys and a skewed clock open nothing; --guard lets the opened
// address through.
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { freePorts, spawnServe, type ServeProcess } from '../helpers/serve-process.js';
import { listen } from '../helpers/proxy-child.js';
import { until } from '../helpers/until.js';

const KEY = Buffer.alloc(32, 0x71).toString('base64');
const HMAC = Buffer.alloc(64, 0x72).toString('base64');
const OTHER = Buffer.alloc(64, 0x73).toString('base64');

let home: TempHome;
let serve: ServeProcess;
let servePort = 0;
let guardPort = 0;
let recorder: Socket;
const recorded: Buffer[] = [];
let marker = '';
let service: Awaited<ReturnType<typeof listen>>;

const spa = (port: number, extra: string[] = [], hmac = HMAC) => ['    spa:', `      key_base64: "${KEY}"`, `      hmac_key_base64: "${hmac}"`, `      port: ${port}`, ...extra];

beforeAll(async () => {
  home = new TempHome();
  recorder = createSocket('udp4');
  recorder.on('message', (m) => recorded.push(m));
  await new Promise<void>((r) => recorder.bind(0, '127.0.0.1', r));
  const ports = await freePorts(2);
  servePort = ports[0]!;
  guardPort = ports[1]!;
  service = await listen((s) => s.end('SSH-2.0-behind-guard\r\n'));
  home.writeConfig(
    [
      'profiles:',
      '  vault:',
      '    host: 127.0.0.1',
      '    port: 22',
      '    open_for: 2',
      ...spa(servePort),
      '  relay:',
      '    host: 127.0.0.1',
      '    port: 22',
      ...spa(recorder.address().port),
      '  wrong:',
      '    host: 127.0.0.1',
      '    port: 22',
      ...spa(servePort, [], OTHER),
      '  skewed:',
      '    host: 127.0.0.1',
      '    port: 22',
      ...spa(servePort, ['      time_offset: -200']),
      '  other-port:',
      '    host: 127.0.0.1',
      '    port: 22',
      ...spa(servePort, ['      access: tcp/23']),
      '',
    ].join('\n'),
  );
  marker = path.join(home.dir, 'opened');
  serve = spawnServe(['vault', '--json', '--on-open', `echo %IP% >> ${marker}`, '--guard', `${guardPort}:127.0.0.1:${service.port}`], { env: home.env });
  await serve.waitFor((e) => e.event === 'listening', 'listening');
});
afterAll(async () => {
  await serve.stop();
  recorder.close();
  service.server.close();
  home.cleanup();
});

const spaEvents = () => serve.events().filter((e) => e.event === 'spa');

test('before any packet the guard lets nobody through', async () => {
  const r = await runProcess('nc', ['-w', '2', '127.0.0.1', String(guardPort)], {});
  expect(r.stdout).not.toContain('SSH-2.0-behind-guard');
  await serve.waitFor((e) => e.event === 'guard' && e.allowed === false, 'guard denied');
});

test('knock vault: accepted, open for 127.0.0.1, --on-open ran with the address; the guard lets it through; closed after open_for', async () => {
  const r = await runKnock(['vault'], { env: home.env });
  expect(r.code).toBe(0);
  await serve.waitFor((e) => e.event === 'spa' && e.result === 'accepted', 'accepted');
  await serve.waitFor((e) => e.event === 'open' && e.src === '127.0.0.1', 'open');
  await serve.waitFor((e) => e.event === 'command' && e.action === 'on-open' && e.code === 0, 'on-open');
  expect(readFileSync(marker, 'utf8')).toBe('127.0.0.1\n');
  const through = await runProcess('nc', ['-w', '2', '127.0.0.1', String(guardPort)], {});
  expect(through.stdout).toContain('SSH-2.0-behind-guard');
  await serve.waitFor((e) => e.event === 'close' && e.src === '127.0.0.1', 'close after open_for', 10_000);
});

test('the same bytes resent are a replay and open nothing', async () => {
  const before = recorded.length;
  expect((await runKnock(['relay'], { env: home.env })).code).toBe(0);
  expect(await until(() => recorded.length === before + 1, 5000)).toBe(true);
  const bytes = recorded.at(-1)!;
  const sender = createSocket('udp4');
  const send = () => new Promise<void>((r) => sender.send(bytes, servePort, '127.0.0.1', () => r()));
  const opens = () => serve.events().filter((e) => e.event === 'open').length;
  const openBefore = opens();
  await send();
  await serve.waitFor((e) => e.event === 'open' && serve.events().filter((x) => x.event === 'open').length > openBefore, 'open from the first copy');
  await send();
  await serve.waitFor((e) => e.event === 'spa' && e.result === 'replay', 'replay');
  sender.close();
  expect(opens()).toBe(openBefore + 1);
});

test.each([
  ['wrong', 'HMAC mismatch'],
  ['skewed', /^time difference is too great \(\d+ seconds\)$/],
  ['other-port', 'access tcp/23 not in OPEN_PORTS tcp/22'],
])('knock %s: rejected (%s), nothing opened', async (profile, reason) => {
  const before = spaEvents().length;
  const opens = serve.events().filter((e) => e.event === 'open').length;
  expect((await runKnock([profile], { env: home.env })).code).toBe(0);
  await serve.waitFor((e) => e.event === 'spa' && spaEvents().length > before, `verdict on ${profile}`);
  expect(spaEvents()[before]).toMatchObject({ result: 'rejected', reason: typeof reason === 'string' ? reason : expect.stringMatching(reason) });
  expect(serve.events().filter((e) => e.event === 'open').length).toBe(opens);
});

const fwknop = existsSync('/usr/bin/fwknop') ? test : test.skip;
fwknop("fwknop's own client against knock serve vault: accepted", async () => {
  const rc = home.writeFile('fwknoprc', `[lab]\nSPA_SERVER 127.0.0.1\nSPA_SERVER_PORT ${servePort}\nACCESS tcp/22\nALLOW_IP 127.0.0.1\nUSE_HMAC Y\nKEY_BASE64 ${KEY}\nHMAC_KEY_BASE64 ${HMAC}\n`);
  writeFileSync(rc, readFileSync(rc), { mode: 0o600 });
  const before = spaEvents().length;
  const r = await runProcess('/usr/bin/fwknop', ['--rc-file', rc, '-n', 'lab'], { env: home.env });
  expect(r.code).toBe(0);
  await serve.waitFor((e) => e.event === 'spa' && spaEvents().length > before, 'verdict on fwknop');
  expect(spaEvents()[before]).toMatchObject({ result: 'accepted', allow: '127.0.0.1', access: ['tcp/22'] });
});

test('serve of an SPA profile prints no key', () => {
  const all = serve.lines.join('\n') + serve.stderr();
  expect(all).not.toContain(KEY);
  expect(all).not.toContain(HMAC);
  expect(serve.lines.length).toBeGreaterThan(5);
});
