// No secret in argv where it can be helped, and a warning where it cannot: ICMP knocks sent by
// the system ping show their size in ps (polled here), so the user is told once per run; the
// close watchdog's command line never carries the sequence.
import { execFileSync, spawn } from 'node:child_process';
import { KNOCK_BIN, runKnock, TempHome } from '../helpers/run-knock.js';
import { describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { PING_ARGV_WARNING } from '../../src/knock/transport/icmp.js';

const WARNING = `knock: warning: ${PING_ARGV_WARNING}\n`;

/** Every command line on the machine, as any local user sees them. */
const commandLines = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });

async function pollPs(untilDone: Promise<unknown>): Promise<string> {
  let seen = '';
  let done = false;
  void untilDone.finally(() => (done = true));
  while (!done) {
    seen += commandLines();
    await new Promise((r) => setTimeout(r, 5));
  }
  return seen;
}

describeLab('ICMP sizes in argv (netns, ps)', ['ping', 'iptables', 'ps'], () => {
  let lab: Lab;
  const home = new TempHome();
  beforeAll(() => {
    lab = Lab.create('pa');
    // Unanswered echoes keep each ping alive for its 150 ms settle time: long enough for ps.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-p', 'icmp', '-j', 'DROP']);
  });
  afterAll(() => {
    lab?.destroy();
    home.cleanup();
  });
  const inLab = {
    get netns() {
      return lab.client;
    },
  };

  test('ICMP knocks through ping: ps shows the sizes, and the run warns once (not with -q)', async () => {
    const run = runKnock([SERVER_V4, 'icmp:321', 'icmp:322', '-d', '300'], { env: home.env, netns: inLab.netns });
    const seen = await pollPs(run);
    const result = await run;
    expect(result.code).toBe(0);
    // What the warning is about: a local user's ps shows the knock.
    expect(seen).toMatch(/ping .*-s 32[12] /);
    expect(result.stderr).toBe(WARNING);
    const quiet = await runKnock(['-q', SERVER_V4, 'icmp:321'], { env: home.env, netns: inLab.netns });
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(0);
  });

  test('no ICMP knock, no warning; a dry run sends nothing and warns of nothing', async () => {
    expect((await runKnock([SERVER_V4, '1:udp'], { env: home.env, netns: inLab.netns })).stderr).toBe('');
    expect((await runKnock(['-n', SERVER_V4, 'icmp:321'], { env: home.env, netns: inLab.netns })).stderr).toBe('');
  });

  test("the proxy warns once for its open and close pings; the watchdog's argv carries no sequence", async () => {
    home.writeConfig(`profiles:\n  loop:\n    host: ${SERVER_V4}\n    open: ["icmp:331"]\n    close: ["icmp:332", "7:udp"]\n`);
    // Port 1 refuses (RST): the proxy knocks, fails to connect within 0.3 s, and its watchdog closes.
    const child = spawn('ip', ['netns', 'exec', lab.client, process.execPath, KNOCK_BIN, 'proxy', 'loop', '1', '--connect-timeout', '0.3'], { env: home.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise((r) => child.once('close', r));
    const seen = await pollPs(new Promise((r) => setTimeout(r, 1500)));
    await exited;
    expect(stderr.split(WARNING).length - 1).toBe(1);
    const watchdogLines = seen.split('\n').filter((l) => l.includes('knock-watchdog') || l.includes('__close-watchdog'));
    expect(watchdogLines.length).toBeGreaterThan(0);
    for (const line of watchdogLines) expect(line).not.toMatch(/332|7:udp|icmp/);
  });
});
