// A UDP service behind a real knockd: the ufw door of a VPN, imported by `knock import`, served
// by Debian's knockd with the same door as an iptables UDP ACCEPT; a UDP echo on 1194 behind a
// DROP answers after `knock NAME` and not before.
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const VPN = 1194;
const SEQUENCE = '7301,7302:udp,7303';

const UFW_CONF = `[options]
  UseSyslog
[openVPN]
  sequence    = ${SEQUENCE}
  seq_timeout = 10
  tcpflags    = syn
  command     = /usr/sbin/ufw allow from %IP% to any port ${VPN} proto udp
[closeVPN]
  sequence    = 7303,7302:udp,7301
  seq_timeout = 10
  tcpflags    = syn
  command     = /usr/sbin/ufw delete allow from %IP% to any port ${VPN} proto udp
`;

// The same door for the lab's server, which has iptables and no ufw.
const IPTABLES_CONF = UFW_CONF.replace('  UseSyslog', '  logfile = DIR/knockd.log')
  .replace(`/usr/sbin/ufw allow from %IP% to any port ${VPN} proto udp`, `/usr/sbin/iptables -I INPUT -s %IP% -p udp --dport ${VPN} -j ACCEPT`)
  .replace(`/usr/sbin/ufw delete allow from %IP% to any port ${VPN} proto udp`, `/usr/sbin/iptables -D INPUT -s %IP% -p udp --dport ${VPN} -j ACCEPT`);

/** Sends one datagram from the client namespace to the service; its answer, or 'no answer' after `ms`. */
async function ask(lab: Lab, ms = 1000): Promise<string> {
  const script = `const s = require('dgram').createSocket('udp4');
s.on('message', (m) => { console.log('answer ' + m); process.exit(0); });
s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
s.send('hello', ${VPN}, '${SERVER_V4}');
setTimeout(() => { console.log('no answer'); process.exit(0); }, ${ms});`;
  const result = await runProcess('ip', ['netns', 'exec', lab.client, process.execPath, '-e', script], { timeoutMs: ms + 5000 });
  return result.stdout.trim();
}

describeLab('a UDP service behind knockd (netns, real knockd, iptables)', ['knockd', 'iptables', 'tcpdump'], () => {
  let lab: Lab;
  let knockd: Knockd;
  const home = new TempHome();

  beforeAll(async () => {
    lab = Lab.create('udps');
    // The service: a UDP echo on 1194, and the admin's DROP in front of it.
    const echo = lab.spawn(lab.server, process.execPath, ['-e', `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send('echo ' + m, r.port, r.address)); s.bind(${VPN}, () => console.log('listening'));`]);
    await new Promise<void>((resolve, reject) => {
      echo.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('listening') && resolve());
      echo.once('exit', (code) => reject(new Error(`the echo service exited (${code})`)));
    });
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'udp', '--dport', String(VPN), '-j', 'DROP']);
    knockd = await Knockd.start(lab, IPTABLES_CONF);
  });
  afterAll(() => {
    knockd?.stop();
    lab?.destroy();
    home.cleanup();
  });

  test('the imported ufw door is port 1194/udp; the echo answers after knock VPN and not before; close shuts it', async () => {
    const conf = home.writeFile('knockd.conf', UFW_CONF);
    const imported = await runKnock(['import', conf, '--host', SERVER_V4], { env: home.env });
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(`VPN: [openVPN] + [closeVPN] paired: open and close sequences; port ${VPN}/udp (its command opens it)\n`);
    // The iptables form of the same door imports the same way.
    const iptablesConf = home.writeFile('knockd-iptables.conf', IPTABLES_CONF);
    const dry = JSON.parse((await runKnock(['import', iptablesConf, '--host', SERVER_V4, '-n', '--json'], { env: home.env })).stdout);
    expect(dry.profiles[0]).toMatchObject({ name: 'VPN', port: VPN, portProtocol: 'udp', profile: { port: `${VPN}/udp` } });

    expect(await ask(lab)).toBe('no answer');

    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4} and not udp port ${VPN}`);
    const opened = await runKnock(['VPN'], { netns: lab.client, env: home.env });
    expect(opened).toMatchObject({ code: 0, stderr: '' });
    expect(await until(() => knockd.output.includes(`${CLIENT_V4}: openVPN: OPEN SESAME`))).toBe(true);
    // The command has run once iptables shows the rule: then the service answers.
    expect(await until(() => lab.exec(lab.server, 'iptables', ['-S', 'INPUT']).includes(`-A INPUT -s ${CLIENT_V4}/32 -p udp -m udp --dport ${VPN} -j ACCEPT`))).toBe(true);
    expect(await ask(lab)).toBe('answer echo hello');
    const packets = (await capture.stop(300)).filter((p) => !p.line.includes(' ARP, '));
    expect(packets.map((p) => [p.proto, p.dport])).toEqual([
      ['tcp', 7301],
      ['udp', 7302],
      ['tcp', 7303],
    ]);

    const closed = await runKnock(['close', 'VPN'], { netns: lab.client, env: home.env });
    expect(closed).toMatchObject({ code: 0, stderr: '' });
    expect(await until(() => !lab.exec(lab.server, 'iptables', ['-S', 'INPUT']).includes(`--dport ${VPN} -j ACCEPT`))).toBe(true);
    expect(await ask(lab)).toBe('no answer');
  });
});
