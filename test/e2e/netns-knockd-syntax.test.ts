// knockd's files read as Debian's knockd 0.8 reads them: its debug log (`-D`: "config: NAME:
// sequence: 7301:tcp,0:tcp,...") is the reference. Where knockd reads a line its own way (an
// empty token, a trailing comma or a leading 0xA0 is port 0; a line of only 0xA0 is a port-0
// sequence; 33 knocks stop it), knock refuses naming FILE:LINE and saying what knockd reads, and
// sends nothing; where the two agree (C whitespace around ports and protocols), the line knock
// sends is the one knockd opens on.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Capture, CLIENT_V4, describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { runKnock, runProcess, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

const NBSP = Buffer.of(0xa0);
/** Lists with the raw 0xA0 byte, as written by an editor that put a non-breaking space there. */
const LISTS: Record<string, Buffer> = {
  nbsp: Buffer.concat([NBSP, Buffer.from('9001,9002:udp,9003\n 9011,9012:udp,9013\n')]),
  blank: Buffer.concat([NBSP, Buffer.from('\n 9101,9102:udp,9103\n')]),
  // Whitespace that C's isspace() trims: knockd and knock read the same knocks.
  agree: Buffer.from('\t9201 :\vudp, 9202 ,9203:UDP\f\n 9211,9212,9213\n'),
};

const conf = (dir: string) => `
[options]
  logfile = ${dir}/knockd.log
[gap]
  sequence = 7301,,7302
  tcpflags = syn
  command  = /bin/true
[trail]
  sequence = 7401,7402,
  tcpflags = syn
  command  = /bin/true
${Object.keys(LISTS)
  .map((name) => `[${name}]\n  one_time_sequences = ${dir}/${name}\n  seq_timeout = 10\n  tcpflags = syn\n  command = /bin/sh -c 'echo %IP% >> ${dir}/opens-${name}'\n`)
  .join('')}`;

/** The sequences knockd printed for each door at start-up (`config: NAME: sequence: ...`). */
function sequencesLogged(output: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const m of output.matchAll(/^config: (\S+): sequence: (.*)$/gm)) found[m[1]!] ??= m[2]!;
  return found;
}

describeLab("knockd's files as knockd 0.8 reads them (netns, real knockd)", ['knockd', 'tcpdump', 'iptables'], () => {
  let lab: Lab;
  let knockd: Knockd;
  const home = new TempHome();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-syntax-'));
  const copies: Record<string, string> = {};
  let logged: Record<string, string>;

  beforeAll(async () => {
    lab = Lab.create('ks');
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-j', 'DROP']);
    for (const [name, bytes] of Object.entries(LISTS)) {
      writeFileSync(path.join(dir, name), bytes, { mode: 0o600 });
      copies[name] = home.writeFile(`lists/${name}`, '');
      writeFileSync(copies[name]!, bytes);
    }
    writeFileSync(path.join(dir, 'knockd.conf'), conf(dir));
    knockd = await Knockd.start(lab, readFileSync(path.join(dir, 'knockd.conf'), 'utf8'));
    logged = sequencesLogged(knockd.output);
    home.writeConfig(`profiles:\n${Object.keys(LISTS).map((name) => `  ${name}:\n    host: ${SERVER_V4}\n    one_time_sequences: ${copies[name]}\n    delay: 100\n    seq_timeout: 10\n`).join('')}`);
  });
  afterAll(() => {
    knockd?.stop();
    lab?.destroy();
    home.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('knockd reads port 0 where a sequence has an empty token, a trailing comma, a leading 0xA0, or only 0xA0', () => {
    expect(logged).toEqual({
      gap: '7301:tcp,0:tcp,7302:tcp',
      trail: '7401:tcp,7402:tcp,0:tcp',
      nbsp: '0:tcp,9002:udp,9003:tcp',
      blank: '0:tcp',
      agree: '9201:udp,9202:tcp,9203:udp',
    });
  });

  test('import and serve refuse `7301,,7302` and `7401,7402,` naming FILE:LINE and the port 0 knockd reads', async () => {
    const file = home.writeFile('knockd.conf', conf(dir));
    const imported = await runKnock(['import', file, '--host', SERVER_V4, '-n'], { env: home.env });
    expect(imported).toMatchObject({ code: 2, stdout: '' });
    expect(imported.stderr).toBe(`knock: ${file}:5: [gap] sequence: knock 2 '' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads ${logged.gap!.split(',')[1]}): fix it on both sides\n`);
    const trail = home.writeFile('trail.conf', '[trail]\n  sequence = 7401,7402,\n');
    const served = await runKnock(['serve', '--knockd-conf', trail], { env: home.env });
    expect(served).toMatchObject({ code: 2, stdout: '' });
    expect(served.stderr).toBe(`knock: ${trail}:2: [trail] sequence: knock 3 '' is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads ${logged.trail!.split(',')[2]}): fix it on both sides\n`);
  });

  test.each([
    ['nbsp', 1, "knock 1 '\\xa09001'"],
    ['blank', 1, "knock 1 '\\xa0'"],
  ])('a one-time line knockd reads as port 0 (%s): knock refuses naming FILE:LINE, sends nothing, uses no line', async (name, line, token) => {
    const before = readFileSync(copies[name]!);
    const capture = await Capture.start(lab, lab.server, `src host ${CLIENT_V4}`);
    const r = await runKnock([name], { netns: lab.client, env: home.env });
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`knock: ${copies[name]}:${line}: ${token} is not one knockd reads the same way (PORT, PORT:tcp or PORT:udp, 1-65535; knockd reads ${logged[name]!.split(',')[0]}): fix it on both sides\n`);
    expect((await capture.stop(300)).filter((p) => !p.line.includes(' ARP, '))).toEqual([]);
    expect(readFileSync(copies[name]!)).toEqual(before);
  });

  test('where knockd and knock agree (C whitespace), the line knock sends is the one knockd opens on', async () => {
    const dry = await runKnock(['-n', 'agree'], { netns: lab.client, env: home.env });
    expect(dry.code).toBe(0);
    const planned = [...dry.stdout.matchAll(/^\s+\d+\.\s+\+\s*\d+ ms\s+(\S+)/gm)].map((m) => m[1]!);
    expect(planned.map((k) => (k.includes(':') ? k : `${k}:tcp`)).join(',')).toBe(logged.agree);
    const r = await runKnock(['agree'], { netns: lab.client, env: home.env });
    expect(r.code).toBe(0);
    expect(await until(() => readOpens(dir, 'agree').includes(CLIENT_V4))).toBe(true);
    expect(knockd.output).toContain(`${CLIENT_V4}: agree: OPEN SESAME`);
  });

  test('33 knocks: knockd refuses to start, and knock refuses the section naming FILE:LINE', async () => {
    const long = Array.from({ length: 33 }, (_, i) => 7500 + i).join(',');
    const file = home.writeFile('long.conf', `[options]\n  logfile = ${dir}/long.log\n[long]\n  sequence = ${long}\n  command = /bin/true\n`);
    const real = await runProcess('ip', ['netns', 'exec', lab.server, 'knockd', '-i', 'veth0', '-c', file, '-D'], { timeoutMs: 10000 });
    expect(real.code).not.toBe(0);
    expect(real.stderr).toContain('config: section long: too many ports in knock sequence');
    const imported = await runKnock(['import', file, '--host', SERVER_V4, '-n'], { env: home.env });
    expect(imported).toMatchObject({ code: 2, stdout: '', stderr: `knock: ${file}:4: [long] sequence: 33 knocks; knockd 0.8 takes at most 32 in a sequence\n` });
  });

  test('a comment longer than knockd reads: knockd reads its rest as a directive and stops; knock refuses naming FILE:LINE', async () => {
    const file = home.writeFile('long-comment.conf', `[options]\n  logfile = ${dir}/long2.log\n# ${'x'.repeat(5000)}\n[door]\n  sequence = 7601,7602\n  command = /bin/true\n`);
    const real = await runProcess('ip', ['netns', 'exec', lab.server, 'knockd', '-i', 'veth0', '-c', file, '-D'], { timeoutMs: 10000 });
    expect(real.code).not.toBe(0);
    expect(real.stderr).toContain('config: line 4: syntax error');
    const imported = await runKnock(['import', file, '--host', SERVER_V4, '-n'], { env: home.env });
    expect(imported).toMatchObject({ code: 2, stdout: '', stderr: `knock: ${file}:3: line longer than knockd reads (4094 bytes): knockd would read the rest as a line of its own\n` });
  });
});

function readOpens(dir: string, name: string): string {
  try {
    return readFileSync(path.join(dir, `opens-${name}`), 'utf8');
  } catch {
    return '';
  }
}
