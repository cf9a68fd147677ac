// Resolve once: a name from the client namespace's hosts file is looked up a single time, and
// every knock goes to that one address, even when the name changes between knocks.
import { existsSync } from 'node:fs';
import { Capture, CLIENT_V4, CLIENT_V6, describeLab, Lab, SERVER_V4, SERVER_V6 } from '../lab/netns.js';
import { removeNetnsHosts, writeNetnsHosts } from '../lab/netns-hosts.js';
import { runKnock, runProcess, TempHome, type RunResult } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const OTHER_V4 = '198.18.0.3';
const OTHER_V6 = '2001:db8:0:1::3';
const NAME = 'knockhost.test';
/** Debian knockd's client, used here only as a control. */
const KNOCK1 = '/usr/bin/knock';

const CONFIG = `
profiles:
  knockhost:
    host: ${NAME}
    open: [7000, "8000:udp", 9000]
    delay: 700
`;

describeLab('resolve once (netns, /etc/netns hosts, tcpdump)', ['tcpdump'], () => {
  let lab: Lab;
  const home = new TempHome();

  beforeAll(() => {
    lab = Lab.create('cl');
    // A second address on the server, so a knock sent to the new answer would be seen too.
    lab.exec(lab.server, 'ip', ['addr', 'add', `${OTHER_V4}/24`, 'dev', 'veth0']);
    lab.exec(lab.server, 'ip', ['-6', 'addr', 'add', `${OTHER_V6}/64`, 'dev', 'veth0', 'nodad']);
    home.writeConfig(CONFIG);
  });
  afterAll(() => {
    if (lab) removeNetnsHosts(lab.client);
    lab?.destroy();
    home.cleanup();
  });

  /** Runs `start()`, moves the name to the server's other address once the first knock is
   *  on the wire, and returns the run's result and the packets the server saw. */
  async function knockWhileTheNameMoves(client: string, start: () => Promise<RunResult>) {
    writeNetnsHosts(lab.client, `127.0.0.1 localhost\n${SERVER_V4} ${NAME}\n${SERVER_V6} ${NAME}\n`);
    const capture = await Capture.start(lab, lab.server, `src host ${client} and (tcp or udp)`);
    const run = start();
    // The event: the first packet on the wire (the name was resolved once, before it).
    await until(() => capture.packets().length > 0, 15000, 5);
    writeNetnsHosts(lab.client, `127.0.0.1 localhost\n${OTHER_V4} ${NAME}\n${OTHER_V6} ${NAME}\n`);
    const result = await run;
    const packets = await capture.stop(300);
    return { result, packets: packets.map((p) => [p.dst, p.dport]) };
  }

  test.each([
    ['IPv4', '-4', SERVER_V4, OTHER_V4, CLIENT_V4],
    ['IPv6', '-6', SERVER_V6, OTHER_V6, CLIENT_V6],
  ])('%s: every knock goes to the address the name had at the start', async (_family, flag, first, later, client) => {
    const { result, packets } = await knockWhileTheNameMoves(client!, () => runKnock([flag!, 'knockhost'], { netns: lab.client, env: home.env }));
    expect(result.stderr).toBe('');
    expect(result.stdout.startsWith(`knocked knockhost (${first}): 3 knocks in `)).toBe(true);
    expect(result.code).toBe(0);
    expect(packets).toEqual([
      [first, 7000],
      [first, 8000],
      [first, 9000],
    ]);
    // The name really did move: a fresh lookup in the namespace now gives the other address.
    expect(lab.exec(lab.client, 'getent', ['ahosts', NAME])).toContain(later);
  });

  // Control: knock(1) resolves the name again for every knock, so this set-up catches a client
  // that does not resolve once.
  (existsSync(KNOCK1) ? test : test.skip)('control: knock(1), which resolves per knock, follows the name', async () => {
    const { result, packets } = await knockWhileTheNameMoves(CLIENT_V4, () =>
      runProcess('ip', ['netns', 'exec', lab.client, KNOCK1, '-4', '-d', '700', NAME, '7000', '8000:udp', '9000']),
    );
    expect(result.code).toBe(0);
    expect(packets).toEqual([
      [SERVER_V4, 7000],
      [OTHER_V4, 8000],
      [OTHER_V4, 9000],
    ]);
  });
});
