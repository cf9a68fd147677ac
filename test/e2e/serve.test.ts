// The built client against the built `knock serve`, both as child processes, on loopback.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import dgram from 'node:dgram';
import path from 'node:path';
import { KNOCK_BIN, publicKnockBin, runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { freePorts, knockFrom, spawnServe, type ServeProcess } from '../helpers/serve-process.js';

type Ev = Record<string, unknown>;
const LOCAL = '127.0.0.1';
const OTHER = '127.0.0.2';

describe('knock serve (loopback)', () => {
  let home: TempHome;
  let p: number[];
  let serve: ServeProcess | undefined;

  beforeEach(async () => {
    home = new TempHome();
    p = await freePorts(3);
    home.writeConfig(
      `profiles:
  t:
    host: ${LOCAL}
    open: [${p[0]}, "${p[1]}:udp", ${p[2]}]
    close: [${p[2]}, "${p[1]}:udp", ${p[0]}]
    seq_timeout: 10
  slow:
    host: ${LOCAL}
    open: [${p[0]}, ${p[2]}]
    seq_timeout: 1
  pinged:
    host: ${LOCAL}
    open: [${p[0]}, "icmp:64", ${p[2]}]
`,
    );
  });
  afterEach(async () => {
    if (serve) await serve.stop('SIGKILL');
    serve = undefined;
    home.cleanup();
  });

  const start = async (args: string[]): Promise<ServeProcess> => {
    serve = spawnServe(args, { env: home.env });
    await serve.waitFor((e) => e.event === 'listening' || /listening on/.test(String(e.text)), 'listening');
    return serve;
  };
  const client = async (args: string[]) => {
    const r = await runKnock(args, { env: home.env });
    expect(r.code).toBe(0);
    return r;
  };
  const doorEvents = (s: ServeProcess) => s.events().filter((e) => ['open', 'close', 'reset'].includes(String(e.event)));

  test('open, then close: each knock with its stage as JSON lines, then open and close', async () => {
    const s = await start(['t', '--json']);
    await client(['t']);
    await s.waitFor((e) => e.event === 'open', 'open');
    await client(['close', 't']);
    await s.waitFor((e) => e.event === 'close', 'close');
    const { code, signal, stderr } = await s.stop('SIGTERM');
    expect([code, signal, stderr]).toEqual([0, null, '']);

    const events = s.events();
    for (const e of events) {
      expect(typeof e.time).toBe('string');
      expect(Number.isNaN(Date.parse(String(e.time)))).toBe(false);
    }
    expect(events[0]).toMatchObject({ event: 'listening', bind: LOCAL, ports: [`tcp/${p[0]}`, `udp/${p[1]}`, `tcp/${p[2]}`] });
    expect(events.slice(1).map((e) => [e.event, e.src, e.proto ?? null, e.port ?? null, e.door, e.stage ?? null])).toEqual([
      ['knock', LOCAL, 'tcp', p[0], 'open', 1],
      ['knock', LOCAL, 'udp', p[1], 'open', 2],
      ['knock', LOCAL, 'tcp', p[2], 'open', 3],
      ['open', LOCAL, null, null, 'open', null],
      ['knock', LOCAL, 'tcp', p[2], 'close', 1],
      ['knock', LOCAL, 'udp', p[1], 'close', 2],
      ['knock', LOCAL, 'tcp', p[0], 'close', 3],
      ['close', LOCAL, null, null, 'close', null],
      ['stopped', undefined, null, null, undefined, null],
    ]);
  });

  test('readable text without --json', async () => {
    const s = await start(['t']);
    await client(['t']);
    await s.waitFor((e) => / open 127\.0\.0\.1$/.test(String(e.text)), 'open line');
    const r = await s.stop('SIGINT');
    expect(r.code).toBe(0);
    const text = s.lines.map((l) => l.replace(/^\S+ /, ''));
    expect(text).toEqual([
      `listening on ${LOCAL}: tcp/${p[0]} udp/${p[1]} tcp/${p[2]}`,
      `knock ${LOCAL} tcp/${p[0]} open 1/3`,
      `knock ${LOCAL} udp/${p[1]} open 2/3`,
      `knock ${LOCAL} tcp/${p[2]} open 3/3`,
      `open ${LOCAL}`,
      'stopped: every listener closed',
    ]);
    expect(s.lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
  });

  test('wrong order resets and opens nothing; the right order afterwards opens', async () => {
    const s = await start(['t', '--json']);
    await client(['-d', '100', LOCAL, String(p[0]), String(p[2]), `${p[1]}:udp`, String(p[2])]);
    await s.waitFor((e) => e.event === 'knock' && s.events().filter((x) => x.event === 'knock').length === 4, 'four knocks');
    expect(doorEvents(s).map((e) => [e.event, e.door, e.stage, e.reason])).toEqual([['reset', 'open', 1, 'wrong-knock']]);
    // After the reset, p[1] and p[2] start nothing (they are no sequence's first knock).
    expect(s.events().filter((e) => e.event === 'knock').map((e) => e.stage)).toEqual([1, 0, 0, 1]);
    // p[2] was the close sequence's first knock: finish nothing, then open properly.
    await client(['-d', '100', LOCAL, String(p[0])]);
    await s.waitFor((e) => e.event === 'reset' && e.door === 'close', 'close reset');
    await client(['t']);
    await s.waitFor((e) => e.event === 'open', 'open');
  });

  test('too slow: seq_timeout passes (reported without a further knock), nothing opens', async () => {
    const s = await start(['slow', '--json']);
    await client(['-d', '2100', 'slow']);
    await s.waitFor((e) => e.event === 'knock' && e.port === p[2], 'second knock');
    expect(doorEvents(s).map((e) => [e.event, e.stage, e.reason])).toEqual([['reset', 1, 'timeout']]);
    const knocks = s.events().filter((e) => e.event === 'knock');
    expect(knocks.map((e) => e.stage)).toEqual([1, 0]);
    // The reset came before the second knock, from the timer.
    const all = s.events();
    expect(all.findIndex((e) => e.event === 'reset')).toBeLessThan(all.findIndex((e) => e.event === 'knock' && e.port === p[2]));
  });

  test('two sources interleaved progress independently', async () => {
    const s = await start(['t', '--json']);
    await knockFrom(OTHER, LOCAL, 'tcp', p[0]!);
    await s.waitFor((e) => e.src === OTHER && e.stage === 1, '127.0.0.2 stage 1');
    await knockFrom(OTHER, LOCAL, 'udp', p[1]!);
    await s.waitFor((e) => e.src === OTHER && e.stage === 2, '127.0.0.2 stage 2');
    // 127.0.0.1 runs its whole sequence while 127.0.0.2 waits at stage 2...
    await client(['t']);
    await s.waitFor((e) => e.event === 'open' && e.src === LOCAL, 'open for 127.0.0.1');
    // ...and 127.0.0.1's knocks (one of them on 127.0.0.2's next port) did not disturb it.
    await knockFrom(OTHER, LOCAL, 'tcp', p[2]!);
    await s.waitFor((e) => e.event === 'open' && e.src === OTHER, 'open for 127.0.0.2');
    expect(doorEvents(s).map((e) => [e.event, e.src])).toEqual([
      ['open', LOCAL],
      ['open', OTHER],
    ]);
  });

  test('--on-open runs with %IP% replaced (and KNOCK_IP set); its output stays off stdout', async () => {
    const out = path.join(home.dir, 'opened.txt');
    const s = await start(['t', '--json', '--on-open', `printf '%s %s\\n' '%IP%' "$KNOCK_IP" >> ${out}; echo to-stdout`, '--on-close', `echo closed %IP% >> ${out}`]);
    await client(['t']);
    await s.waitFor((e) => e.event === 'command' && e.action === 'on-open', 'on-open command');
    expect(readFileSync(out, 'utf8')).toBe(`${LOCAL} ${LOCAL}\n`);
    await client(['close', 't']);
    const done = await s.waitFor((e) => e.event === 'command' && e.action === 'on-close', 'on-close command');
    expect(done).toMatchObject({ src: LOCAL, code: 0, command: `echo closed ${LOCAL} >> ${out}` });
    expect(readFileSync(out, 'utf8')).toBe(`${LOCAL} ${LOCAL}\nclosed ${LOCAL}\n`);
    const r = await s.stop();
    expect(r.code).toBe(0);
    // Labelled: which command wrote it, for which source.
    expect(r.stderr).toContain(`--on-open for ${LOCAL}: to-stdout\n`);
    for (const line of s.lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  test('--guard forwards only after the open sequence, and not after close', async () => {
    const target = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((r) => target.listen(0, LOCAL, r));
    const targetPort = (target.address() as net.AddressInfo).port;
    const [guardPort] = await freePorts(1);
    try {
      const s = await start(['t', '--json', '--guard', `${guardPort}:${LOCAL}:${targetPort}`]);
      expect(s.events()[0]).toMatchObject({ guard: `${guardPort} -> ${LOCAL}:${targetPort}` });
      const echo = () =>
        new Promise<string>((resolve) => {
          const socket = net.connect({ host: LOCAL, port: guardPort! });
          let got = '';
          socket.on('connect', () => socket.write('ping'));
          socket.on('data', (d) => {
            got += d.toString();
            if (got === 'ping') socket.end();
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve(got));
        });
      expect(await echo()).toBe('');
      await s.waitFor((e) => e.event === 'guard' && e.allowed === false, 'denied');
      await client(['t']);
      await s.waitFor((e) => e.event === 'open', 'open');
      expect(await echo()).toBe('ping');
      await client(['close', 't']);
      await s.waitFor((e) => e.event === 'close', 'close');
      expect(await echo()).toBe('');
      expect(s.events().filter((e) => e.event === 'guard').map((e) => e.allowed)).toEqual([false, true, false]);
      expect((await s.stop()).code).toBe(0);
    } finally {
      target.close();
    }
  });

  test('SIGTERM with a sequence half done and a guard connection open: exits 0 and frees every port', async () => {
    const target = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((r) => target.listen(0, LOCAL, r));
    const [guardPort] = await freePorts(1);
    try {
      const s = await start(['t', '--json', '--guard', `${guardPort}:${LOCAL}:${(target.address() as net.AddressInfo).port}`]);
      await client(['t']);
      await s.waitFor((e) => e.event === 'open', 'open');
      const held = net.connect({ host: LOCAL, port: guardPort! });
      held.on('error', () => {});
      const heldClosed = new Promise((r) => held.on('close', r));
      await new Promise((r) => held.once('connect', r));
      await s.waitFor((e) => e.event === 'guard', 'guard connection');
      await knockFrom(LOCAL, LOCAL, 'tcp', p[0]!);
      await s.waitFor((e) => e.event === 'knock' && e.stage === 1 && s.events().filter((x) => x.event === 'knock').length === 4, 'half a sequence');
      const r = await s.stop('SIGTERM');
      expect([r.code, r.signal, r.stderr]).toEqual([0, null, '']);
      await heldClosed;
      // Every port can be bound again.
      const again = spawnServe(['t', '--json', '--guard', `${guardPort}:${LOCAL}:1`], { env: home.env });
      await again.waitFor((e) => e.event === 'listening', 'listening again');
      expect((await again.stop('SIGINT')).code).toBe(0);
    } finally {
      target.close();
    }
  });

  test('a TCP port in use: exit 1 naming it; nothing else left listening', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(p[2], LOCAL, r));
    try {
      const s = spawnServe(['t'], { env: home.env });
      const r = await s.exited;
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`knock: cannot listen on tcp ${LOCAL}:${p[2]}: port ${p[2]} is already in use\n`);
      expect(s.lines).toEqual([]);
    } finally {
      holder.close();
    }
  });

  test('a UDP port in use: exit 1 naming it', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((r) => holder.bind(p[1], LOCAL, r));
    try {
      const r = await spawnServe(['t'], { env: home.env }).exited;
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`knock: cannot listen on udp ${LOCAL}:${p[1]}: port ${p[1]} is already in use\n`);
    } finally {
      holder.close();
    }
  });

  // Root may bind anything: then the check runs as nobody (setpriv), where the kernel still says no.
  const unprivilegedStart = existsSync('/proc/sys/net/ipv4/ip_unprivileged_port_start')
    ? Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'))
    : 1024;
  const isRoot = process.getuid?.() === 0;
  const privilegedTest = unprivilegedStart > 80 && (!isRoot || existsSync('/usr/bin/setpriv')) ? test : test.skip;
  privilegedTest('a port below 1024 without privilege: exit 1 naming the port and why', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-serve-low-'));
    try {
      chmodSync(dir, 0o755);
      const config = path.join(dir, 'config.yaml');
      writeFileSync(config, `profiles:\n  low:\n    open: [${p[0]}, 80]\n`, { mode: 0o644 });
      const env = { ...home.env, HOME: dir, XDG_CONFIG_HOME: dir };
      // nobody may not reach the checkout (a clone under a 0700 directory): a copy it can run.
      const bin = isRoot ? publicKnockBin() : KNOCK_BIN;
      // -q: the store is world-readable here on purpose (nobody must read it), and knock would warn.
      const argv = [bin, '-q', '--config', config, 'serve', 'low'];
      const r = isRoot
        ? await runProcess('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv], { env, cwd: dir })
        : await runProcess(process.execPath, argv, { env });
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`knock: cannot listen on tcp ${LOCAL}:80: permission denied (port 80 is below 1024: that needs root or CAP_NET_BIND_SERVICE)\n`);
      expect(r.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('ICMP knocks: refused (exit 2), or skipped with a warning by --skip-icmp', async () => {
    const refused = await spawnServe(['pinged'], { env: home.env }).exited;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^knock: profile 'pinged': the open sequence has ICMP knocks \(icmp:64\), which knock serve cannot receive without raw sockets/);
    const s = await start(['pinged', '--skip-icmp', '--json']);
    expect(s.stderr()).toMatch(/knock: warning: profile 'pinged': skipping ICMP knocks/);
    await client(['-d', '100', LOCAL, String(p[0]), String(p[2])]);
    await s.waitFor((e) => e.event === 'open', 'open without the ICMP knock');
  });

  test('usage errors: unknown profile, bad --bind, bad --guard (exit 2)', async () => {
    const unknown = await runKnock(['serve', 'nope'], { env: home.env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^knock: no profile 'nope' in .*config\.yaml \(profiles: t, slow, pinged\)\n$/);
    const bind = await runKnock(['serve', 't', '--bind', 'localhost'], { env: home.env });
    expect([bind.code, bind.stderr]).toEqual([2, "knock: --bind 'localhost' is not an IP address\n"]);
    const guard = await runKnock(['serve', 't', '--guard', '22'], { env: home.env });
    expect([guard.code, guard.stderr]).toEqual([2, "knock: --guard '22': expected PORT:TARGET_HOST:TARGET_PORT\n"]);
  });

  test('--knockd-conf: every section, its seq_timeout, command, and stop_command after cmd_timeout', async () => {
    const log = path.join(home.dir, 'knockd.log');
    const conf = home.writeFile(
      'knockd.conf',
      `[options]
\tUseSyslog

[openStuff]
\tsequence      = ${p[0]},${p[1]}:udp,${p[2]}
\tseq_timeout   = 5
\tstart_command = echo add %IP% >> ${log}
\tstop_command  = echo del %IP% >> ${log}
\tcmd_timeout   = 1
\ttcpflags      = syn

[closeStuff]
\tsequence    = ${p[2]},${p[0]}
\tcommand     = echo close %IP% >> ${log}
`,
    );
    const s = await start(['--knockd-conf', conf, '--json', '--run-commands']);
    expect(s.events()[0]).toMatchObject({ ports: [`tcp/${p[0]}`, `udp/${p[1]}`, `tcp/${p[2]}`] });
    await client(['-d', '100', LOCAL, String(p[0]), `${p[1]}:udp`, String(p[2])]);
    await s.waitFor((e) => e.event === 'command' && e.action === 'stop_command', 'stop_command');
    expect(readFileSync(log, 'utf8')).toBe(`add ${LOCAL}\ndel ${LOCAL}\n`);
    await client(['-d', '100', LOCAL, String(p[2]), String(p[0])]);
    await s.waitFor((e) => e.event === 'command' && e.door === 'closeStuff', 'closeStuff command');
    expect(readFileSync(log, 'utf8')).toBe(`add ${LOCAL}\ndel ${LOCAL}\nclose ${LOCAL}\n`);
    expect(doorEvents(s).map((e) => [e.event, e.door, e.reason ?? null])).toEqual([
      ['open', 'openStuff', null],
      ['close', 'openStuff', 'cmd_timeout'],
      ['close', 'closeStuff', null],
    ]);
  });

  test('--knockd-conf without --run-commands: each command printed as it would run, none run', async () => {
    const log = path.join(home.dir, 'never.log');
    const conf = home.writeFile('knockd.conf', `[openStuff]\n\tsequence = ${p[0]},${p[2]}\n\tstart_command = echo add %IP% >> ${log}\n\tstop_command = echo del %IP% >> ${log}\n\tcmd_timeout = 1\n`);
    const s = await start(['--knockd-conf', conf]);
    await client(['-d', '100', LOCAL, String(p[0]), String(p[2])]);
    await s.waitFor((e) => /\[openStuff\] stop_command/.test(String(e.text)), 'stop_command line');
    const r = await s.stop();
    expect(r.code).toBe(0);
    expect(existsSync(log)).toBe(false);
    expect(r.stderr).toBe(`knock: warning: ${conf}: the commands of 1 section are printed as they would run, not run (they may change this machine's firewall); --run-commands runs them\n`);
    const text = s.lines.map((l) => l.replace(/^\S+ /, ''));
    expect(text).toContain(`[openStuff] command for ${LOCAL} not run (--run-commands runs it): echo add ${LOCAL} >> ${log}`);
    expect(text).toContain(`[openStuff] stop_command for ${LOCAL} not run (--run-commands runs it): echo del ${LOCAL} >> ${log}`);
    expect(text.at(-1)).toBe('stopped: every listener closed');
  });

  test('a failing command reads as one: which command, for whom, its exit code', async () => {
    const s = await start(['t', '--on-open', 'echo oops >&2; exit 3']);
    await client(['t']);
    await s.waitFor((e) => /--on-open for/.test(String(e.text)), 'on-open line');
    const r = await s.stop();
    expect(s.lines.map((l) => l.replace(/^\S+ /, ''))).toContain(`--on-open for ${LOCAL} exited 3 (failed): echo oops >&2; exit 3`);
    expect(r.stderr).toBe(`--on-open for ${LOCAL}: oops\n`);
  });

  test('serving a profile whose host is elsewhere: a hint that `knock PROFILE` goes there, not here', async () => {
    home.writeConfig(`profiles:\n  office:\n    host: 198.18.0.2\n    open: [${p[0]}, ${p[2]}]\n`);
    const s = await start(['office']);
    const r = await s.stop();
    expect(r.stderr).toBe(
      `knock: warning: profile 'office' knocks 198.18.0.2, but this server listens on 127.0.0.1: 'knock office' goes to 198.18.0.2, not here; to knock this server use 'knock 127.0.0.1 PORT...', or a profile with host: 127.0.0.1\n`,
    );
  });
});
