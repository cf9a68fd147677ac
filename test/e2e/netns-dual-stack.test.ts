// A dual-stack server (one name, both addresses) behind a door that guards one family only:
// knock proxy and knock open --wait knock both families and connect to the one that opened.
import { describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { removeNetnsHosts, writeNetnsHosts } from '../lab/netns-hosts.js';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const NAME = 'dual.lab';
const door = (tool: string) => `
[options]
  logfile = DIR/knockd.log
[open]
  sequence    = 7000,7001
  seq_timeout = 10
  tcpflags    = syn
  command     = /usr/sbin/${tool} -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
[close]
  sequence    = 7101,7100
  seq_timeout = 10
  tcpflags    = syn
  command     = /usr/sbin/${tool} -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`;

describeLab('dual-stack host, door guarding one family (netns, real knockd)', ['knockd', 'iptables', 'ip6tables'], () => {
  let lab: Lab;
  const home = new TempHome();
  beforeAll(async () => {
    lab = Lab.create('kds');
    lab.exec(lab.client, 'ping', ['-c', '1', '-W', '3', SERVER_V4]);
    lab.exec(lab.client, 'ping', ['-6', '-c', '1', '-W', '3', SERVER_V6]);
    writeNetnsHosts(lab.client, `${SERVER_V4} ${NAME}\n${SERVER_V6} ${NAME}\n`);
    for (const cmd of ['iptables', 'ip6tables']) lab.exec(lab.server, cmd, ['-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '--dport', '22', '-j', 'DROP']);
    const banner = lab.spawn(lab.server, process.execPath, ['-e', "require('net').createServer((s) => { s.on('error', () => {}); s.end('SSH-2.0-banner\\r\\n'); }).listen(22, '::', () => console.log('up'))"]);
    await new Promise((resolve) => banner.stdout!.once('data', resolve));
    home.writeConfig(`profiles:\n  dual:\n    host: ${NAME}\n    port: 22\n    open: [7000, 7001]\n    close: [7101, 7100]\n    delay: 50\n`);
  });
  afterAll(() => {
    if (lab) removeNetnsHosts(lab.client);
    lab?.destroy();
    home.cleanup();
  });

  test.each([
    ['iptables', 'IPv4', '198.18.0.1'],
    ['ip6tables', 'IPv6', '2001:db8:0:1::1'],
  ])('a door that guards %s only: proxy returns the banner, --wait opens, the close reaches both families', async (tool, family, client) => {
    const knockd = await Knockd.start(lab, door(tool));
    try {
      const proxy = await runKnock(['-v', 'proxy', 'dual', '22'], { netns: lab.client, env: home.env, timeoutMs: 4000 });
      expect(proxy.stdout).toBe('SSH-2.0-banner\r\n');
      expect(proxy.stderr).toContain(`(${family}; knocked IPv`);
      const wait = await runKnock(['--json', 'open', 'dual', '--wait'], { netns: lab.client, env: home.env, timeoutMs: 4000 });
      expect(wait.code).toBe(0);
      // One JSON document per family knocked; the first carries the wait's result.
      expect(wait.stdout.replace(/\s/g, '')).toContain(`"family":${family === 'IPv4' ? 4 : 6}`);
      // The watchdogs' close sequences: knockd saw both families' close stages end.
      const closed = () => ['198.18.0.1', '2001:db8:0:1::1'].every((ip) => knockd.output.includes(`${ip}: close: Stage 2`));
      await until(closed, 5000, 50);
      expect(knockd.output).toContain(`${client}: open: Stage 2`);
      expect([closed(), knockd.output.split('\n').filter((l) => /close|open/.test(l))]).toEqual([true, expect.anything()]);
    } finally {
      knockd.stop();
    }
  }, 20000);
});
