// Our SPA packets against Debian's fwknopd (-U, iptables backend) in a network namespace:
// the packet opens tcp/22 for our address; the same bytes resent are a replay; wrong keys open nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSpaPacket, realEntropy, type SpaKeys } from '../../src/spa/packet.js';
import { until } from '../helpers/until.js';
import { CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';

const keys: SpaKeys = {
  key: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 255)),
  hmacKey: Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 7 + 99) & 255)),
};
const request = { allowIp: CLIENT_V4, access: ['tcp/22'], username: 'tester', clientTimeout: 0 };

describeLab('SPA against fwknopd in a namespace', ['fwknopd', 'iptables', 'nc', 'ss'], () => {
  let lab: Lab;
  let dir = '';
  let log = '';
  beforeAll(async () => {
    lab = Lab.create('spa');
    dir = mkdtempSync(join(tmpdir(), 'knock-fwknopd-'));
    writeFileSync(join(dir, 'fwknopd.conf'), `FWKNOP_RUN_DIR ${dir}\nENABLE_UDP_SERVER Y\n`, { mode: 0o600 });
    writeFileSync(
      join(dir, 'access.conf'),
      `SOURCE ANY\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 30\nKEY_BASE64 ${keys.key.toString('base64')}\nHMAC_KEY_BASE64 ${keys.hmacKey.toString('base64')}\n`,
      { mode: 0o600 },
    );
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
    const d = lab.spawn(lab.server, '/usr/sbin/fwknopd', ['-f', '-U', '-c', join(dir, 'fwknopd.conf'), '-a', join(dir, 'access.conf'), '-d', join(dir, 'digest.cache'), '-p', join(dir, 'pid'), '-v', '-v']);
    d.stdout?.on('data', (b: Buffer) => (log += b.toString()));
    d.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    // Ready when its UDP socket is bound: its start-up lines come before the bind.
    expect(await until(() => lab.exec(lab.server, 'ss', ['-Huln', 'sport = :62201']).includes('62201'), 10_000)).toBe(true);
  });
  afterAll(() => {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (wire: string): void => {
    lab.exec(lab.client, 'nc', ['-u', '-w1', SERVER_V4, '62201'], wire);
  };
  const grants = (): string => lab.exec(lab.server, 'iptables', ['-S', 'FWKNOP_INPUT']);

  test('control: the fwknop client is granted tcp/22 by the same daemon', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    const rc = join(dir, 'fwknoprc');
    writeFileSync(rc, `[lab]\nSPA_SERVER ${SERVER_V4}\nACCESS tcp/22\nALLOW_IP ${CLIENT_V4}\nUSE_HMAC Y\nKEY_BASE64 ${keys.key.toString('base64')}\nHMAC_KEY_BASE64 ${keys.hmacKey.toString('base64')}\n`, { mode: 0o600 });
    lab.exec(lab.client, 'env', [`HOME=${dir}`, '/usr/bin/fwknop', '--rc-file', rc, '-n', 'lab']);
    expect(await until(() => { try { return grants().includes(`-s ${CLIENT_V4}/32 -p tcp -m tcp --dport 22`); } catch { return false; } }, 10_000)).toBe(true);
  });

  test('a packet opens tcp/22 for our address, and the same bytes again are a replay', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    const { wire } = encodeSpaPacket(request, keys, realEntropy(Math.floor(Date.now() / 1000)));
    send(wire);
    expect(await until(() => { try { return grants().includes(`-s ${CLIENT_V4}/32 -p tcp -m tcp --dport 22`); } catch { return false; } }, 10_000)).toBe(true);
    send(wire);
    expect(await until(() => /Replay detected/.test(log), 10_000)).toBe(true);
  });

  test('wrong keys open nothing (the daemon is known to be up: the test before was granted)', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    const mark = log.length;
    send(encodeSpaPacket(request, { key: keys.key, hmacKey: Buffer.alloc(64, 5) }, realEntropy(Math.floor(Date.now() / 1000))).wire);
    expect(await until(() => /HMAC/i.test(log.slice(mark)), 10_000)).toBe(true);
    let rules = '';
    try { rules = grants(); } catch { rules = ''; }
    expect(rules).not.toContain(`-s ${CLIENT_V4}/32`);
  });
});
