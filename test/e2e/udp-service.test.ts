// A profile whose service is UDP (`port: 1194/udp`), with the built bin/knock: import reads the
// protocol from a knockd.conf command, add takes it, list/show/--json print it, and what needs a
// TCP service (ssh-config, proxy, a bare --wait) refuses it before any packet.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { LoopbackPeers } from '../helpers/loopback.js';
import { until } from '../helpers/until.js';

let home: TempHome;
let peers: LoopbackPeers;
let knockPort: number;
beforeEach(async () => {
  home = new TempHome();
  peers = new LoopbackPeers();
  knockPort = await peers.udp();
});
afterEach(async () => {
  await peers.close();
  home.cleanup();
});

const storeFile = () => path.join(home.configDir, 'config.yaml');

/** A ufw door for a UDP VPN, as an admin writes it; its knocks go to our loopback listener. */
const ufwConf = () => `[options]
  UseSyslog

[openVPN]
  sequence    = ${knockPort}:udp,${knockPort}:udp
  seq_timeout = 5
  command     = /usr/sbin/ufw allow from %IP% to any port 1194 proto udp

[closeVPN]
  sequence    = ${knockPort}:udp
  command     = /usr/sbin/ufw delete allow from %IP% to any port 1194 proto udp
`;

async function importVpn(): Promise<void> {
  const conf = home.writeFile('knockd.conf', ufwConf());
  const r = await runKnock(['import', conf, '--host', '127.0.0.1'], { env: home.env });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(`VPN: [openVPN] + [closeVPN] paired: open and close sequences; port 1194/udp (its command opens it)\nimported 1 profile from ${conf} into ${storeFile()}\n`);
  expect(r.code).toBe(0);
}

test('import of a ufw UDP door stores port: 1194/udp; list, show and --json print the protocol', async () => {
  await importVpn();
  expect(readFileSync(storeFile(), 'utf8')).toContain('    port: 1194/udp\n');

  const show = await runKnock(['show', 'VPN'], { env: home.env });
  expect(show).toMatchObject({ code: 0, stderr: '' });
  expect(show.stdout).toContain('port:        1194/udp\n');
  const json = JSON.parse((await runKnock(['show', 'VPN', '--json'], { env: home.env })).stdout);
  expect(json).toMatchObject({ port: 1194, portProtocol: 'udp' });

  const list = await runKnock(['list'], { env: home.env });
  expect(list).toMatchObject({ code: 0, stderr: '', stdout: 'VPN  127.0.0.1  open 2 knocks, close 1 knock, service 1194/udp\n' });
  const listJson = JSON.parse((await runKnock(['list', '--json'], { env: home.env })).stdout);
  expect(listJson.profiles[0]).toMatchObject({ name: 'VPN', port: 1194, portProtocol: 'udp' });

  // The import's own JSON says the same.
  const conf = path.join(home.dir, 'knockd.conf');
  const dry = JSON.parse((await runKnock(['import', conf, '--host', '127.0.0.1', '-n', '--json'], { env: home.env })).stdout);
  expect(dry.profiles[0]).toMatchObject({ name: 'VPN', port: 1194, portProtocol: 'udp', portFrom: 'command', profile: { port: '1194/udp' } });
});

test('import -p 1194/udp: a section whose command names no port gets it', async () => {
  const conf = home.writeFile('script.conf', `[vpn]\n  sequence = ${knockPort}:udp,${knockPort}:udp\n  command = /usr/local/bin/open-vpn-for %IP%\n`);
  const r = await runKnock(['import', conf, '--host', '127.0.0.1', '-p', '1194/udp'], { env: home.env });
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(readFileSync(storeFile(), 'utf8')).toContain('    port: 1194/udp\n');
  const bad = await runKnock(['import', conf, '--host', '127.0.0.1', '-p', '1194/tls'], { env: home.env });
  expect(bad).toMatchObject({ code: 2, stdout: '', stderr: "knock: -p/--port '1194/tls' is not a port number (1-65535), optionally with /tcp or /udp (1194/udp)\n" });
});

test('a TCP service says nothing of its protocol: list and --json as before', async () => {
  const add = await runKnock(['add', 'web', '127.0.0.1', `${knockPort}:udp`, '-p', '22/tcp'], { env: home.env });
  expect(add.code).toBe(0);
  expect(readFileSync(storeFile(), 'utf8')).toContain('    port: 22\n');
  const list = await runKnock(['list'], { env: home.env });
  expect(list.stdout).toBe('web  127.0.0.1  open 1 knock\n');
  const json = JSON.parse((await runKnock(['show', 'web', '--json'], { env: home.env })).stdout);
  expect(json.port).toBe(22);
  expect(json).not.toHaveProperty('portProtocol');
});

test('add -p 1194/udp stores it; a bad protocol is refused naming the option', async () => {
  const add = await runKnock(['add', 'vpn', '127.0.0.1', `${knockPort}:udp`, '-p', '1194/udp'], { env: home.env });
  // add says what lint says of the new profile (one knock only): warnings, nothing else.
  expect(add.code).toBe(0);
  expect(add.stderr).toMatch(/^(knock: warning: .*\n)*$/);
  expect(readFileSync(storeFile(), 'utf8')).toBe(`profiles:\n  vpn:\n    host: 127.0.0.1\n    port: 1194/udp\n    open: [${knockPort}:udp]\n`);
  for (const bad of ['1194/sctp', '1194/UDP', '0/udp', '1194/']) {
    const r = await runKnock(['add', 'x', '127.0.0.1', '7000', '-p', bad], { env: home.env });
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `knock: -p/--port '${bad}' is not a port number (1-65535), optionally with /tcp or /udp (1194/udp)\n` });
  }
});

test('ssh-config, proxy and a bare --wait refuse a UDP service with one line, exit 2, before any packet', async () => {
  await importVpn();
  const sshConfig = await runKnock(['ssh-config', 'VPN'], { env: home.env });
  expect(sshConfig).toMatchObject({ code: 2, stdout: '', stderr: "knock: profile 'VPN': service 1194/udp is UDP; ssh needs TCP\n" });
  const add = await runKnock(['ssh-config', 'VPN', '--add'], { env: home.env });
  expect(add).toMatchObject({ code: 2, stdout: '', stderr: "knock: profile 'VPN': service 1194/udp is UDP; ssh needs TCP\n" });

  const proxy = await runKnock(['proxy', 'VPN', '1194'], { env: home.env, input: '' });
  expect(proxy).toMatchObject({ code: 2, stdout: '', stderr: "knock: profile 'VPN': service 1194/udp is UDP; ssh needs TCP\n" });

  const wait = await runKnock(['open', 'VPN', '--wait'], { env: home.env });
  expect(wait).toMatchObject({ code: 2, stdout: '' });
  expect(wait.stderr).toBe('knock: --wait: service 1194/udp is UDP, which --wait cannot probe (it connects over TCP); knock without --wait, or name a TCP port: --wait PORT\n');
  expect(peers.arrivals).toEqual([]);

  // Control: the same profile knocks (so the listener would have seen a refused run's packets).
  const open = await runKnock(['open', 'VPN'], { env: home.env });
  expect(open.code).toBe(0);
  expect(await until(() => peers.arrivals.length === 2)).toBe(true);
});
