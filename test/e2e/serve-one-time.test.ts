// knock serve --knockd-conf with one_time_sequences, as knockd: each fresh line opens once and
// is then disabled in the server's file; a replayed line opens nothing. The built client sends.
import { readFileSync } from 'node:fs';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { freePorts, spawnServe, type ServeProcess } from '../helpers/serve-process.js';
import { until } from '../helpers/until.js';

const LOCAL = '127.0.0.1';

describe('knock serve with one_time_sequences (loopback)', () => {
  let home: TempHome;
  let serve: ServeProcess | undefined;
  afterEach(async () => {
    if (serve) await serve.stop('SIGKILL');
    serve = undefined;
    home.cleanup();
  });

  test('fresh lines open in turn, a replay does not, the server marks as it goes', async () => {
    home = new TempHome();
    const p = await freePorts(6);
    const list = ` ${p[0]},${p[1]}:udp\n ${p[2]},${p[3]}:udp\n ${p[4]},${p[5]}\n`;
    const serverList = home.writeFile('server/list', list);
    const clientList = home.writeFile('client/list', list);
    const conf = home.writeFile('server/knockd.conf', `[otp]\n\tone_time_sequences = ${serverList}\n\tseq_timeout = 5\n`);
    home.writeConfig(`profiles:\n  ot:\n    host: ${LOCAL}\n    one_time_sequences: ${clientList}\n    delay: 50\n`);
    serve = spawnServe(['--knockd-conf', conf, '--json'], { env: home.env });
    const listening = await serve.waitFor((e) => e.event === 'listening', 'listening');
    // Every line's ports from the start, so no knock of a later line can miss its listener.
    expect(listening.ports).toEqual([`tcp/${p[0]}`, `udp/${p[1]}`, `tcp/${p[2]}`, `udp/${p[3]}`, `tcp/${p[4]}`, `tcp/${p[5]}`]);
    const opens = () => serve!.events().filter((e) => e.event === 'open').length;

    const first = await runKnock(['-q', 'ot'], { env: home.env });
    expect(first.code).toBe(0);
    await serve.waitFor((e) => e.event === 'open', 'first open');
    // Replay the used line by hand: its ports are no longer in the door (knockd's pcap filter).
    const replay = await runKnock(['-q', '-d', '50', LOCAL, String(p[0]), `${p[1]}:udp`], { env: home.env });
    expect(replay.code).toBe(0);
    // The sentinel: a stray knock on the current line's last port, with nothing in progress, which
    // serve reports as a knock and ignores (as knockd does). It arrives after the replay, so once
    // serve has printed it, it has judged the replay too: "no second open" is read then.
    const sentinel = await runKnock(['-q', LOCAL, `${p[3]}:udp`], { env: home.env });
    expect(sentinel.code).toBe(0);
    await serve.waitFor((e) => e.event === 'knock' && e.port === p[3], 'the sentinel knock');
    expect(opens()).toBe(1);

    const second = await runKnock(['-q', 'ot'], { env: home.env });
    expect(second.code).toBe(0);
    await serve.waitFor((e) => e.event === 'open' && opens() === 2, 'second open');
    const knocks = serve.events().filter((e) => e.event === 'knock');
    expect(knocks.map((e) => e.port)).toEqual([p[0], p[1], p[3], p[2], p[3]]);
    await until(() => readFileSync(serverList, 'utf8') === readFileSync(clientList, 'utf8'), 3000);
    expect(readFileSync(serverList, 'utf8')).toBe(`#${p[0]},${p[1]}:udp\n#${p[2]},${p[3]}:udp\n ${p[4]},${p[5]}\n`);
    expect(readFileSync(clientList, 'utf8')).toBe(readFileSync(serverList, 'utf8'));
  });

  test('a list with no line left: knock serve refuses to start, as knockd does', async () => {
    home = new TempHome();
    const serverList = home.writeFile('server/list', '#1,2\n');
    const conf = home.writeFile('server/knockd.conf', `[otp]\n\tone_time_sequences = ${serverList}\n`);
    const r = await runKnock(['serve', '--knockd-conf', conf], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`knock: ${conf}:1: [otp]: no unused sequence left in ${serverList} (knockd refuses to start too)\n`);
  });
});
