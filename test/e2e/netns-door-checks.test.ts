// The door checks' own check: "does not open" must fail on a door that opens late. A real
// knockd whose command sleeps a second before it lets the knocker in opens after the moment a
// fixed 500 ms wait would have looked (the service still refuses then); staysClosed waits for
// knockd to have judged the knock (a marker knock printed after it) and reads its decision.
import { describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { startTcpService } from '../lab/recent-knock.js';
import { TempHome } from '../helpers/run-knock.js';
import { knock, SERVICE, serviceOpen, staysClosed, type DoorLab, type ReactingServer } from '../lab/door-checks.js';
import { until } from '../helpers/until.js';

const MARKER = 7651;

describeLab('door checks: "does not open" waits for the server, not the clock (netns, knockd)', ['knockd', 'iptables', 'nc'], () => {
  const d = {} as DoorLab;
  let knockd: Knockd;
  const server: ReactingServer = {
    mark: () => knockd.mark(),
    startedNothing: (address, since) => knockd.startedNothing(d.lab, d.home.env, address, MARKER, since),
  };
  const knocked = async (...ports: string[]) => {
    const since = server.mark();
    await knock(d, ['-d', '50', SERVER_V4, ...ports]);
    return { at: server, since };
  };

  beforeAll(async () => {
    d.lab = Lab.create('dc');
    d.home = new TempHome();
    d.home.writeConfig('profiles: {}\n');
    d.lab.exec(d.lab.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', String(SERVICE), '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    const open = `iptables -I INPUT -s %IP% -p tcp --dport ${SERVICE} -j ACCEPT`;
    const conf = [
      '[options]\n\tlogfile = DIR/knockd.log\n',
      `[late]\n\tsequence = 7600,7601\n\tseq_timeout = 5\n\tcommand = sleep 1; ${open}\n`,
      `[marker]\n\tsequence = 7650,${MARKER}\n\tseq_timeout = 5\n\tcommand = true\n`,
    ].join('\n');
    knockd = await Knockd.start(d.lab, conf);
    await startTcpService(d.lab, SERVICE);
  });
  afterAll(() => {
    if (process.env.KNOCKD_LOG) console.log(knockd?.output);
    knockd?.stop();
    d.lab?.destroy();
    d.home?.cleanup();
  });

  test('a knock that does not open: the check holds', async () => {
    expect(await staysClosed(d.lab, SERVER_V4, await knocked('7601', '7600'))).toBe(true);
  });

  test('a door that opens a second late: the check says it did not stay closed (it fails, as it must)', async () => {
    const after = await knocked('7600', '7601');
    // At this moment the service still refuses: a check of the service alone would pass.
    const answeredAtOnce = await serviceOpen(d.lab, SERVER_V4);
    expect(await staysClosed(d.lab, SERVER_V4, after)).toBe(false);
    expect(knockd.output).toContain('late: running command');
    // And it does open, later: the door is late, not shut.
    expect(await until(() => serviceOpen(d.lab, SERVER_V4), 3000, 100)).toBe(true);
    if (answeredAtOnce) console.warn('the late door already answered right after the knock: the machine is slow, the check above still held');
  });

  test('a marker knockd never prints: the check throws rather than passes', async () => {
    const lost = { ...server, startedNothing: (address: string, since: number) => knockd.startedNothing(d.lab, d.home.env, address, 7999, since, 300) };
    await expect(staysClosed(d.lab, SERVER_V4, { at: lost, since: 0 })).rejects.toThrow('did not print the marker');
  });
});
