// knockd's own client (Debian's /usr/bin/knock) against `knock serve` in a server namespace, as a
// peer; a real knockd.conf served as is; and real knockd watching the same packets, for agreement.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { TempHome } from '../helpers/run-knock.js';
import { spawnServe, type ServeProcess } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

const KNOCKD_KNOCK = '/usr/bin/knock';

/** Debian knockd's shipped /etc/knockd.conf (knockd 0.8-2), as people deploy it. */
const DEBIAN_KNOCKD_CONF = `[options]
\tUseSyslog

[openSSH]
\tsequence    = 7000,8000,9000
\tseq_timeout = 5
\tcommand     = /sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
\ttcpflags    = syn

[closeSSH]
\tsequence    = 9000,8000,7000
\tseq_timeout = 5
\tcommand     = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
\ttcpflags    = syn

[openHTTPS]
\tsequence    = 12345,54321,24680,13579
\tseq_timeout = 5
\tcommand     = /usr/local/sbin/knock_add -i -c INPUT -p tcp -d 443 -f %IP%
\ttcpflags    = syn
`;

describeLab('knock serve with knockd peers (netns)', ['knock', 'knockd', 'iptables'], () => {
  let lab: Lab;
  let home: TempHome;
  let serve: ServeProcess | undefined;
  beforeAll(() => {
    lab = Lab.create('sv');
  });
  afterAll(() => lab?.destroy());
  beforeEach(() => {
    home = new TempHome();
  });
  afterEach(async () => {
    if (serve) await serve.stop('SIGKILL');
    serve = undefined;
    home.cleanup();
  });

  const start = async (args: string[]) => {
    serve = spawnServe(['--bind', SERVER_V4, '--json', ...args], { env: home.env, netns: lab.server });
    await serve.waitFor((e) => e.event === 'listening', 'listening');
    return serve;
  };
  /** knock(1) knocks back to back by default; repeated ports in such a burst can be reordered (see listeners.ts). */
  const knockd = (...args: string[]) => lab.exec(lab.client, KNOCKD_KNOCK, ['-d', '100', SERVER_V4, ...args]);

  test("knock(1)'s default back-to-back knocks on distinct ports arrive in order", async () => {
    home.writeConfig(`profiles:\n  burst:\n    open: [7000, "8000:udp", 9000, 7500, "6000:udp"]\n`);
    const s = await start(['burst']);
    for (let i = 1; i <= 5; i++) {
      lab.exec(lab.client, KNOCKD_KNOCK, [SERVER_V4, '7000', '8000:udp', '9000', '7500', '6000:udp']);
      await s.waitFor(() => s.events().filter((e) => e.event === 'open').length === i, `open ${i}`);
    }
    expect(s.events().filter((e) => e.event === 'reset')).toEqual([]);
  });

  test("knockd's knock client opens and closes a profile served on 198.18.0.2", async () => {
    home.writeConfig(`profiles:\n  lab:\n    open: [7000, "8000:udp", 9000]\n    close: [9000, "8000:udp", 7000]\n`);
    const s = await start(['lab']);
    knockd('7000', '8000:udp', '9000');
    await s.waitFor((e) => e.event === 'open', 'open');
    knockd('9000', '8000:udp', '7000');
    await s.waitFor((e) => e.event === 'close', 'close');
    // -u: 8000/udp starts nothing; 7000/udp is in no sequence (no listener: serve never sees it).
    knockd('-u', '8000', '7000');
    await s.waitFor((e) => e.event === 'knock' && e.proto === 'udp' && e.stage === 0, 'the stray knock');
    expect((await s.stop()).code).toBe(0);
    expect(s.events().slice(1).map((e) => [e.event, e.src, e.proto ?? null, e.port ?? null, e.stage ?? null])).toEqual([
      ['knock', CLIENT_V4, 'tcp', 7000, 1],
      ['knock', CLIENT_V4, 'udp', 8000, 2],
      ['knock', CLIENT_V4, 'tcp', 9000, 3],
      ['open', CLIENT_V4, null, null, null],
      ['knock', CLIENT_V4, 'tcp', 9000, 1],
      ['knock', CLIENT_V4, 'udp', 8000, 2],
      ['knock', CLIENT_V4, 'tcp', 7000, 3],
      ['close', CLIENT_V4, null, null, null],
      ['knock', CLIENT_V4, 'udp', 8000, 0],
      ['stopped', undefined, null, null, null],
    ]);
  });

  test("Debian's knockd.conf served as is: its iptables commands run in the server namespace", async () => {
    const conf = home.writeFile('knockd.conf', DEBIAN_KNOCKD_CONF);
    const s = await start(['--knockd-conf', conf, '--run-commands']);
    const rule = `-A INPUT -s ${CLIENT_V4}/32 -p tcp -m tcp --dport 22 -j ACCEPT`;
    knockd('7000', '8000', '9000');
    const added = await s.waitFor((e) => e.event === 'command' && e.door === 'openSSH', 'openSSH command');
    expect(added).toMatchObject({ code: 0, command: `/sbin/iptables -A INPUT -s ${CLIENT_V4} -p tcp --dport 22 -j ACCEPT` });
    expect(lab.exec(lab.server, 'iptables', ['-S', 'INPUT'])).toContain(rule);
    knockd('9000', '8000', '7000');
    await s.waitFor((e) => e.event === 'command' && e.door === 'closeSSH', 'closeSSH command');
    expect(lab.exec(lab.server, 'iptables', ['-S', 'INPUT'])).not.toContain(rule);
    expect(s.events().filter((e) => ['open', 'close'].includes(String(e.event))).map((e) => [e.event, e.door])).toEqual([
      ['open', 'openSSH'],
      ['close', 'closeSSH'],
    ]);
  });

  test("Debian's knockd.conf without --run-commands: the iptables command is printed, the firewall untouched", async () => {
    const conf = home.writeFile('knockd.conf', DEBIAN_KNOCKD_CONF);
    const before = lab.exec(lab.server, 'iptables', ['-S', 'INPUT']);
    const s = await start(['--knockd-conf', conf]);
    knockd('7000', '8000', '9000');
    const said = await s.waitFor((e) => e.event === 'command' && e.door === 'openSSH', 'openSSH command');
    expect(said).toMatchObject({ ran: false, command: `/sbin/iptables -A INPUT -s ${CLIENT_V4} -p tcp --dport 22 -j ACCEPT` });
    expect(said).not.toHaveProperty('code');
    // Serve has exited (it runs a command and waits for it before it says so, as the test above
    // shows): nothing of it is left to touch the firewall, so "untouched" is read after its end.
    expect((await s.stop()).code).toBe(0);
    expect(lab.exec(lab.server, 'iptables', ['-S', 'INPUT'])).toBe(before);
  });

  test('knockd and knock serve, watching the same knocks, agree (a wrong knock equal to the first does not restart)', async () => {
    const knockdLog = path.join(home.dir, 'knockd.log');
    const serveLog = path.join(home.dir, 'serve.log');
    const conf = (log: string) => `[door]\n\tsequence = 7000,8000:udp,9000\n\tseq_timeout = 5\n\ttcpflags = syn\n\tcommand = echo %IP% >> ${log}\n`;
    const daemon = lab.spawn(lab.server, 'knockd', ['-i', 'veth0', '-v', '-D', '-c', home.writeFile('knockd-real.conf', conf(knockdLog))]);
    let daemonOut = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`knockd did not start: ${daemonOut}`)), 10000);
      const onData = (d: Buffer) => {
        daemonOut += d.toString();
        if (daemonOut.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      daemon.stdout!.on('data', onData);
      daemon.stderr!.on('data', onData);
    });
    const s = await start(['--knockd-conf', home.writeFile('knockd-serve.conf', conf(serveLog)), '--run-commands']);
    const scenarios: [string[], boolean][] = [
      [['7000', '8000:udp', '9000'], true],
      [['7000', '8000:udp', '7000', '8000:udp', '9000'], false],
      [['7000', '7000', '8000:udp', '9000'], false],
      [['7000', '9000', '7000', '8000:udp', '9000'], true],
      // A stray knock with nothing in progress is ignored; a repeated knock resets.
      [['8000:udp', '7000', '8000:udp', '9000'], true],
      [['7000', '8000:udp', '8000:udp', '9000'], false],
    ];
    let knocks = 0;
    for (const [seq] of scenarios) {
      knockd(...seq);
      knocks += seq.length;
      await s.waitFor(() => s.events().filter((e) => e.event === 'knock').length === knocks, `${knocks} knocks`);
    }
    // The sentinel for both: a stray 8000/udp (it neither starts nor ends the sequence) after the
    // last scenario. Once knockd has printed it and serve has reported it, each has judged every
    // knock before it: knockd prints "running command" as it decides, before it reads on, so a
    // late open is counted here by its decision, not missed by a short wait.
    knockd('-u', '8000');
    expect(await until(() => daemonOut.includes(`-> ${SERVER_V4}:8000 `), 10000)).toBe(true);
    await s.waitFor(() => s.events().filter((e) => e.event === 'knock').length === knocks + 1, 'the sentinel knock');
    const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
    const expected = scenarios.filter(([, opens]) => opens).map(() => CLIENT_V4);
    expect(daemonOut.match(/: running command: /g) ?? []).toHaveLength(expected.length);
    // The commands run in forked children: each line appears once its command has run.
    expect(await until(() => lines(knockdLog).length >= expected.length)).toBe(true);
    expect(lines(knockdLog)).toEqual(expected);
    expect(lines(serveLog)).toEqual(expected);
    expect(s.events().filter((e) => e.event === 'open')).toHaveLength(expected.length);
  });
});
