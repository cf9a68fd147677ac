// No secret in argv where it can be helped, and a warning where it cannot: where knock has no
// ICMP socket of its own (an unprivileged user outside ping_group_range), ICMP knocks go
// through the system ping, whose size shows in ps (polled here), so the user is told once per
// run; from knock's own socket (root here) nothing shows. The close watchdog's command line
// never carries the sequence.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { publicKnockBin, runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { PING_ARGV_WARNING } from '../../src/knock/transport/icmp.js';

const WARNING = `knock: warning: ${PING_ARGV_WARNING}\n`;
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/** The temp HOME handed to nobody, store included (0600 stays: it is nobody's own now). */
function giveToNobody(dir: string): void {
  chownSync(dir, 65534, 65534);
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) giveToNobody(full);
    else chownSync(full, 65534, 65534);
  }
}

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

describeLab('ICMP sizes in argv (netns, ps)', ['ping', 'iptables', 'ps', 'setpriv'], () => {
  let lab: Lab;
  const home = new TempHome();
  // nobody's own HOME: its store and lock directory must be nobody's.
  const nobodyHome = new TempHome();
  beforeAll(() => {
    lab = Lab.create('pa');
    // Unanswered echoes keep each ping alive for its 150 ms settle time: long enough for ps.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-p', 'icmp', '-j', 'DROP']);
  });
  afterAll(() => {
    lab?.destroy();
    home.cleanup();
    nobodyHome.cleanup();
  });
  const inLab = {
    get netns() {
      return lab.client;
    },
  };
  const asNobody = (args: string[]) => runProcess('ip', ['netns', 'exec', lab.client, ...NOBODY, process.execPath, publicKnockBin(), ...args], { env: nobodyHome.env });

  test('no ICMP socket to be had: ICMP knocks through ping, ps shows the sizes, and the run warns once (not with -q)', async () => {
    giveToNobody(nobodyHome.dir);
    const run = asNobody([SERVER_V4, 'icmp:321', 'icmp:322', '-d', '300']);
    const seen = await pollPs(run);
    const result = await run;
    expect(result.code).toBe(0);
    // What the warning is about: a local user's ps shows the knock.
    expect(seen).toMatch(/ping .*-s 32[12] /);
    expect(result.stderr).toBe(WARNING);
    const quiet = await asNobody(['-q', SERVER_V4, 'icmp:321']);
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(0);
  });

  test("from knock's own ICMP socket (root: raw): no ping runs, ps shows no size, nothing to warn of", async () => {
    const run = runKnock([SERVER_V4, 'icmp:323', 'icmp:324', '-d', '300'], { env: home.env, netns: inLab.netns });
    const seen = await pollPs(run);
    const result = await run;
    expect(result.code).toBe(0);
    // The control: ps saw the run itself while it knocked, so "no size" was looked for then.
    expect(seen).toMatch(/icmp:323 icmp:324/);
    expect(seen).not.toMatch(/-s 32[34] /);
    expect(result.stderr).toBe('');
  });

  test('no ICMP knock, no warning; a dry run sends nothing and warns of nothing', async () => {
    expect((await runKnock([SERVER_V4, '1:udp'], { env: home.env, netns: inLab.netns })).stderr).toBe('');
    expect((await runKnock(['-n', SERVER_V4, 'icmp:321'], { env: home.env, netns: inLab.netns })).stderr).toBe('');
  });

  test("the proxy warns once for its open and close pings; the watchdog's argv carries no sequence", async () => {
    nobodyHome.writeConfig(`profiles:\n  loop:\n    host: ${SERVER_V4}\n    open: ["icmp:331"]\n    close: ["icmp:332", "7:udp"]\n`);
    // Port 1 refuses (RST): the proxy knocks, fails to connect within 0.3 s, and its watchdog closes.
    giveToNobody(nobodyHome.dir);
    const child = spawn('ip', ['netns', 'exec', lab.client, ...NOBODY, process.execPath, publicKnockBin(), 'proxy', 'loop', '1', '--connect-timeout', '0.3'], {
      env: nobodyHome.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
