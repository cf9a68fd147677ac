// The built bin/knock against Debian's fwknopd (pcap on the server's veth, iptables backend, a
// short FW_ACCESS_TIMEOUT, DROP for tcp/22), tcpdump --immediate-mode counting what leaves:
// `knock vault` opens tcp/22 for our address with exactly one UDP packet; `knock proxy vault 22`
// reaches the service behind it; a profile whose clock is off by 300 s opens nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runKnock, TempHome, KNOCK_BIN, ROOT } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { BANNER, grants, OUR_GRANT, reaches22, startBanner, startFwknopd } from '../lab/fwknopd.js';

const KEY = Buffer.alloc(32, 0x31).toString('base64');
const HMAC = Buffer.alloc(64, 0x32).toString('base64');

describeLab('bin/knock against fwknopd in a namespace', ['fwknopd', 'iptables', 'tcpdump', 'nc'], () => {
  let lab: Lab;
  let dir = '';
  let home: TempHome;
  let fwknopd: { log: () => string };
  beforeAll(async () => {
    lab = Lab.create('spac');
    dir = mkdtempSync(join(tmpdir(), 'knock-fwknopd-'));
    home = new TempHome();
    home.writeConfig(
      [
        'profiles:',
        '  vault:',
        `    host: ${SERVER_V4}`,
        '    port: 22',
        '    spa:',
        `      key_base64: "${KEY}"`,
        `      hmac_key_base64: "${HMAC}"`,
        '  skewed:',
        `    host: ${SERVER_V4}`,
        '    port: 22',
        '    spa:',
        `      key_base64: "${KEY}"`,
        `      hmac_key_base64: "${HMAC}"`,
        '      time_offset: -300',
        '',
      ].join('\n'),
    );
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
    await startBanner(lab);
    fwknopd = await startFwknopd(lab, dir, `SOURCE ANY\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 5\nKEY_BASE64 ${KEY}\nHMAC_KEY_BASE64 ${HMAC}\n`);
  }, 30_000);
  afterAll(() => {
    lab.destroy();
    home.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('knock vault: exactly one UDP packet leaves, and tcp/22 opens for our address', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    expect(await reaches22(lab)).toBe(false);
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
    const r = await runKnock(['vault'], { env: home.env, netns: lab.client });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`sent SPA vault (${SERVER_V4} udp/62201): tcp/22 for ${CLIENT_V4}\n`);
    expect(await until(() => grants(lab).includes(OUR_GRANT), 10_000)).toBe(true);
    const packets = await capture.stop();
    expect(packets.map((p) => `${p.proto} ${p.dport}`)).toEqual(['udp 62201']);
    expect(await reaches22(lab)).toBe(true);
    // FW_ACCESS_TIMEOUT 5: the grant goes by itself (fwknopd removes it).
    expect(await until(() => !grants(lab).includes(OUR_GRANT), 15_000)).toBe(true);
  }, 40_000);

  test('knock proxy vault 22 (relay): the packet, then the banner of the service behind the door', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    const child = spawn('ip', ['netns', 'exec', lab.client, process.execPath, KNOCK_BIN, 'proxy', 'vault', '22'], { env: home.env, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe(BANNER);
    expect(grants(lab)).toContain(OUR_GRANT);
  }, 30_000);

  test('an imported ~/.fwknoprc stanza opens tcp/22 ([default] gives it the HMAC key and the address)', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    const other = new TempHome();
    try {
      const rc = other.writeFile('.fwknoprc', `[default]\nUSE_HMAC Y\nHMAC_KEY_BASE64 ${HMAC}\nALLOW_IP ${CLIENT_V4}\n\n[lab]\nSPA_SERVER ${SERVER_V4}\nACCESS tcp/22\nKEY_BASE64 ${KEY}\n\n[gpg]\nSPA_SERVER ${SERVER_V4}\nUSE_GPG Y\n`);
      const imported = await runKnock(['import', rc], { env: other.env });
      expect(imported.code).toBe(0);
      expect(imported.stderr).toContain('[gpg] skipped: GPG encryption');
      const r = await runKnock(['lab'], { env: other.env, netns: lab.client });
      expect(r.code).toBe(0);
      expect(await until(() => grants(lab).includes(OUR_GRANT), 10_000)).toBe(true);
    } finally {
      other.cleanup();
    }
  }, 30_000);

  test('a packet 300 s in the past opens nothing (fwknopd: time difference too great)', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    const mark = fwknopd.log().length;
    const r = await runKnock(['skewed'], { env: home.env, netns: lab.client });
    expect(r.code).toBe(0);
    expect(await until(() => /time difference is too great/.test(fwknopd.log().slice(mark)), 10_000)).toBe(true);
    expect(grants(lab)).not.toContain(OUR_GRANT);
  }, 30_000);
});

describeLab('knock rules --format fwknopd as fwknopd\'s access.conf', ['fwknopd', 'iptables', 'nc'], () => {
  let lab: Lab;
  let dir = '';
  let home: TempHome;
  beforeAll(async () => {
    lab = Lab.create('spar');
    dir = mkdtempSync(join(tmpdir(), 'knock-fwknopd-'));
    home = new TempHome();
    home.writeConfig(['profiles:', '  vault:', `    host: ${SERVER_V4}`, '    port: 22', '    open_for: 3', '    spa:', `      key_base64: "${KEY}"`, `      hmac_key_base64: "${HMAC}"`, ''].join('\n'));
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
    await startBanner(lab);
  }, 30_000);
  afterAll(() => {
    lab.destroy();
    home.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the stanza, loaded as it is, grants what the profile asks for, for open_for seconds', async () => {
    const rules = await runKnock(['rules', 'vault', '--format', 'fwknopd'], { env: home.env });
    expect(rules.code).toBe(0);
    expect(rules.stdout).toContain('FW_ACCESS_TIMEOUT       3\n');
    await startFwknopd(lab, dir, rules.stdout);
    expect(await reaches22(lab)).toBe(false);
    const r = await runKnock(['vault'], { env: home.env, netns: lab.client });
    expect(r.code).toBe(0);
    expect(await until(() => grants(lab).includes(OUR_GRANT), 10_000)).toBe(true);
    expect(await reaches22(lab)).toBe(true);
    expect(grants(lab)).toMatch(/_exp_\d+/);
    // open_for 3 became FW_ACCESS_TIMEOUT 3: fwknopd takes the grant away by itself.
    expect(await until(() => !grants(lab).includes(OUR_GRANT), 15_000)).toBe(true);
  }, 40_000);
});

describeLab('a profile with digest_type SHA384 and hmac_digest_type SHA512 against fwknopd with HMAC_DIGEST_TYPE SHA512', ['fwknopd', 'iptables', 'tcpdump', 'nc'], () => {
  let lab: Lab;
  let dir = '';
  let home: TempHome;
  let fwknopd: { log: () => string };
  beforeAll(async () => {
    lab = Lab.create('spad');
    dir = mkdtempSync(join(tmpdir(), 'knock-fwknopd-'));
    home = new TempHome();
    const profile = (name: string, extra: string[]) => [`  ${name}:`, `    host: ${SERVER_V4}`, '    port: 22', '    spa:', `      key_base64: "${KEY}"`, `      hmac_key_base64: "${HMAC}"`, ...extra.map((l) => `      ${l}`)];
    home.writeConfig(['profiles:', ...profile('strong', ['digest_type: SHA384', 'hmac_digest_type: SHA512']), ...profile('default', []), ''].join('\n'));
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
    await startBanner(lab);
    fwknopd = await startFwknopd(lab, dir, `SOURCE ANY\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 5\nKEY_BASE64 ${KEY}\nHMAC_KEY_BASE64 ${HMAC}\nHMAC_DIGEST_TYPE SHA512\n`);
  }, 30_000);
  afterAll(() => {
    lab.destroy();
    home.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--dry-run names the types; the packet opens tcp/22 for our address, one UDP packet, fwknopd naming SHA384 and SHA512', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    const dry = await runKnock(['strong', '--dry-run'], { env: home.env, netns: lab.client });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(', digest SHA384, HMAC SHA512\n');
    expect(dry.stdout).not.toContain(KEY);
    expect(await reaches22(lab)).toBe(false);
    const mark = fwknopd.log().length;
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
    const r = await runKnock(['strong'], { env: home.env, netns: lab.client });
    expect(r.code).toBe(0);
    expect(await until(() => grants(lab).includes(OUR_GRANT), 10_000)).toBe(true);
    const packets = await capture.stop();
    expect(packets.map((p) => `${p.proto} ${p.dport}`)).toEqual(['udp 62201']);
    expect(await reaches22(lab)).toBe(true);
    const log = fwknopd.log().slice(mark);
    expect(log).toMatch(/Digest Type: \d+ \(SHA384\)/);
    expect(log).toMatch(/HMAC Type: \d+ \(SHA512\)/);
  }, 40_000);

  test('the same keys with the default HMAC (SHA256) open nothing under HMAC_DIGEST_TYPE SHA512', async () => {
    lab.exec(lab.server, 'iptables', ['-F', 'FWKNOP_INPUT']);
    const mark = fwknopd.log().length;
    const r = await runKnock(['default'], { env: home.env, netns: lab.client });
    expect(r.code).toBe(0);
    expect(await until(() => fwknopd.log().slice(mark).includes('FKO_ERROR_INVALID_DATA_HMAC_COMPAREFAIL'), 10_000)).toBe(true);
    expect(grants(lab)).not.toContain(OUR_GRANT);
    expect(await reaches22(lab)).toBe(false);
  }, 30_000);
});
