// add/remove/show/list round trips, import and lint, with the built bin/knock in a temp HOME.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT, runKnock, TempHome } from '../helpers/run-knock.js';

let home: TempHome;
beforeEach(() => {
  home = new TempHome();
});
afterEach(() => home.cleanup());

const storeFile = () => path.join(home.configDir, 'config.yaml');

describe('add, show, list, remove', () => {
  it('creates the store with mode 0600 and round-trips a profile', async () => {
    const add = await runKnock(['add', 'web', '127.0.0.1', '7000', '8000:udp', 'icmp:64', '--close', '9000', '9001', '-d', '50', '--seq-timeout', '10', '--port', '22'], { env: home.env });
    expect(add).toMatchObject({ code: 0, stderr: '', stdout: `added profile web in ${storeFile()}\n` });
    expect(statSync(storeFile()).mode & 0o777).toBe(0o600);
    expect(readFileSync(storeFile(), 'utf8')).toBe('profiles:\n  web:\n    host: 127.0.0.1\n    port: 22\n    open: [7000, 8000:udp, icmp:64]\n    close: [9000, 9001]\n    delay: 50\n    seq_timeout: 10\n');

    const show = await runKnock(['show', 'web'], { env: home.env });
    expect(show.code).toBe(0);
    expect(show.stderr).toBe('');
    expect(show.stdout).toContain('open:        7000 8000:udp icmp:64\n');
    expect(show.stdout).toContain('close:       9000 9001\n');

    const list = await runKnock(['list'], { env: home.env });
    expect(list).toMatchObject({ code: 0, stderr: '', stdout: 'web  127.0.0.1  open 3 knocks, close 2 knocks\n' });
    expect(list.stdout).not.toContain('7000'); // sequences only when asked

    const json = await runKnock(['show', 'web', '--json'], { env: home.env });
    expect(JSON.parse(json.stdout)).toMatchObject({ file: storeFile(), name: 'web', open: ['7000', '8000:udp', 'icmp:64'], close: ['9000', '9001'], delay: 50, seqTimeout: 10, port: 22 });

    const dry = await runKnock(['--dry-run', 'web'], { env: home.env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('open web: 127.0.0.1 (IPv4), 3 knocks over 100 ms');

    const rm = await runKnock(['remove', 'web'], { env: home.env });
    expect(rm).toMatchObject({ code: 0, stderr: '', stdout: `removed profile web from ${storeFile()}\n` });
    expect((await runKnock(['show', 'web'], { env: home.env })).code).toBe(2);
  });

  it('keeps comments and the other profiles of an existing store', async () => {
    const text = '# mine\nprofiles:\n  # first\n  a:\n    host: 198.18.0.2 # lab\n    open: [1, 2]\n';
    home.writeConfig(text);
    expect((await runKnock(['add', 'b', 'h.example', '3', '4'], { env: home.env })).code).toBe(0);
    expect(readFileSync(storeFile(), 'utf8')).toBe(text + '  b:\n    host: h.example\n    open: [3, 4]\n');
    expect((await runKnock(['rm', 'b'], { env: home.env })).code).toBe(0);
    expect(readFileSync(storeFile(), 'utf8')).toBe(text);
  });

  it('refuses an existing name unless --force, and a bad knock, without touching the store', async () => {
    home.writeConfig('profiles:\n  a:\n    open: [1, 2]\n');
    const again = await runKnock(['add', 'a', 'h', '5', '6'], { env: home.env });
    expect(again).toMatchObject({ code: 2, stdout: '', stderr: `knock: profile 'a' already exists in ${storeFile()} (--force replaces it)\n` });
    const bad = await runKnock(['add', 'b', 'h', '5', '70000'], { env: home.env });
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toBe('knock: port 70000 is out of range (1-65535)\n');
    // Words after `--` are knocks too, checked like the rest; a bad -d names the option, not the store.
    for (const [args, message] of [
      [['add', 'b', 'h', '1111', '--', '2222', 'abc', '65536'], "knock: 'abc' is not a knock (expected PORT, PORT:tcp, PORT:udp, icmp or icmp:SIZE)\n"],
      [['add', 'b', 'h', '1111', '-d', 'abc'], "knock: -d/--delay 'abc' is not a number of milliseconds (>= 0)\n"],
      [['add', 'b', 'h', '1111', '-p', '99999'], "knock: -p/--port '99999' is not a port number (1-65535)\n"],
      [['add', 'b', 'h'], 'knock: missing KNOCK...: knock add NAME HOST KNOCK...\n'],
    ] as const) {
      expect(await runKnock([...args], { env: home.env })).toMatchObject({ code: 2, stdout: '', stderr: message });
    }
    expect(readFileSync(storeFile(), 'utf8')).toBe('profiles:\n  a:\n    open: [1, 2]\n');
    expect((await runKnock(['add', 'a', 'h', '5', '6', '--force'], { env: home.env })).stdout).toBe(`replaced profile a in ${storeFile()}\n`);
    expect(readFileSync(storeFile(), 'utf8')).toBe('profiles:\n  a:\n    host: h\n    open: [5, 6]\n');
  });

  it('edits a JSON store as JSON', async () => {
    const file = home.writeConfig(JSON.stringify({ profiles: { a: { open: [1, 2] } } }), 'store.json');
    const r = await runKnock(['add', 'b', 'h', '3:udp', '4', '--config', file], { env: home.env });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ profiles: { a: { open: [1, 2] }, b: { host: 'h', open: ['3:udp', 4] } } });
  });

  it('removing an unknown profile is a configuration error', async () => {
    home.writeConfig('profiles:\n  a:\n    open: [1, 2]\n');
    expect(await runKnock(['remove', 'zz'], { env: home.env })).toMatchObject({ code: 2, stdout: '', stderr: `knock: unknown profile 'zz' in ${storeFile()}\n` });
  });
});

describe('store security', () => {
  it('warns when the store is readable by others, not with -q', async () => {
    const file = home.writeConfig('profiles:\n  a:\n    open: [1, 2]\n');
    chmodSync(file, 0o644);
    const r = await runKnock(['list'], { env: home.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a  a (DNS)  open 2 knocks\n');
    expect(r.stderr).toBe(`knock: warning: ${file} is readable by group and others (mode 0644); knock sequences are secrets: chmod 600 ${file}\n`);
    expect((await runKnock(['-q', 'list'], { env: home.env })).stderr).toBe('');
    chmodSync(file, 0o600);
    expect((await runKnock(['list'], { env: home.env })).stderr).toBe('');
  });
});

describe('import knockd.conf', () => {
  const conf = path.join(ROOT, 'test/fixtures/knockd.conf');

  it('creates profiles from the sections, pairing openSSH/closeSSH, and says so', async () => {
    const r = await runKnock(['import', conf, '--host', '198.18.0.2', '--port', '22'], { env: home.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'SSH: [openSSH] + [closeSSH] paired: open and close sequences\n' +
        'openHTTPS: [openHTTPS]\n' +
        'mail-toggle: [mail toggle]\n' +
        'odd: [odd]\n' +
        `imported 4 profiles from ${conf} into ${storeFile()}\n`,
    );
    expect(r.stderr).toBe(`knock: warning: ${conf}:29: [odd] wants tcpflags=fin,!syn; knock sends a bare SYN, so its TCP knocks will not match\n`);
    const show = await runKnock(['show', 'SSH', '--json'], { env: home.env });
    expect(JSON.parse(show.stdout)).toMatchObject({ host: '198.18.0.2', port: 22, open: ['7000', '8000', '9000'], close: ['9000', '8000', '7000'], seqTimeout: 5 });
    const mail = await runKnock(['show', 'mail-toggle', '--json'], { env: home.env });
    expect(JSON.parse(mail.stdout)).toMatchObject({ open: ['2222:udp', '3333', '4444:udp'], seqTimeout: 25 });
    // A second import would overwrite: refused as a whole.
    const again = await runKnock(['import', conf, '--host', '198.18.0.2'], { env: home.env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("'SSH', 'openHTTPS', 'mail-toggle', 'odd' already in");
  });

  it('imports the knockd.conf Debian installs, when there is one', async () => {
    let text: string;
    try {
      text = readFileSync('/etc/knockd.conf', 'utf8');
    } catch {
      return; // no knockd here: the fixture above is Debian's file
    }
    const r = await runKnock(['import', '/etc/knockd.conf', '--host', '127.0.0.1', '--dry-run'], { env: home.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^profiles:\n/);
    if (text.includes('[openSSH]') && text.includes('[closeSSH]')) expect(r.stdout).toContain('  SSH:\n');
  });

  it('a one_time_sequences section becomes a profile that reads your copy of the list', async () => {
    const otpConf = home.writeFile('otp.conf', '[openSMTP]\n\tone_time_sequences = /etc/knockd/smtp_sequences\n\tseq_timeout = 15\n[closeSMTP]\n\tsequence = 4,5,6\n');
    const r = await runKnock(['import', otpConf, '--host', '198.18.0.2', '--one-time-dir', 'lists'], { env: home.env, cwd: home.dir });
    expect(r.code).toBe(0);
    const copy = path.join(home.dir, 'lists', 'SMTP');
    expect(r.stderr).toBe(`knock: warning: SMTP: copy the server's /etc/knockd/smtp_sequences to ${copy} (mode 0600) before knocking: its open sequences come from there\n`);
    expect(r.stdout).toContain('SMTP: [openSMTP] + [closeSMTP] paired: open and close sequences\n');
    const missing = await runKnock(['SMTP'], { env: home.env });
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: `knock: ${copy}: one-time sequences file not found (copy the server's list there, mode 0600)\n` });
    home.writeFile('lists/SMTP', ' 1,2,3\n 7,8,9\n');
    const show = await runKnock(['show', 'SMTP'], { env: home.env });
    expect(show.stdout).toContain(`one-time:    ${copy}: 2 left, next (line 1): 1 2 3\n`);
    expect(show.stdout).toContain('close:       4 5 6\n');
  });

  it('needs --host, and writes nothing without it', async () => {
    const r = await runKnock(['import', conf], { env: home.env });
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: `knock: ${conf} does not say where the server is: give --host HOST\n` });
  });
});

describe('lint', () => {
  it('exits 0 for sound profiles and 1 with warnings, naming profile and problem', async () => {
    home.writeConfig('profiles:\n  good:\n    host: 127.0.0.1\n    open: [7000, 8000:udp, 9000]\n  weak:\n    host: 127.0.0.1\n    open: [7000]\n    close: [5, 5]\n    delay: 30000\n    seq_timeout: 10\n');
    const good = await runKnock(['lint', 'good'], { env: home.env });
    expect(good).toMatchObject({ code: 0, stdout: '1 profile checked, 0 warnings\n', stderr: '' });
    const all = await runKnock(['lint'], { env: home.env });
    expect(all.code).toBe(1);
    expect(all.stdout).toBe(
      'weak: warning: the open sequence has one knock only: any port scan sends it [single-knock]\n' +
        'weak: warning: knock 2 of the close sequence repeats the knock before it: a server cannot tell it from a retransmit or a scan [repeated-knock]\n' +
        'weak: warning: the close sequence takes 30000 ms, longer than seq_timeout 10 s: the server forgets it before it ends [too-slow]\n' +
        '2 profiles checked, 3 warnings\n',
    );
    expect(all.stderr).toBe('');
  });

  it('--probe finds a knock port that accepts connections', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const open = (server.address() as net.AddressInfo).port;
    try {
      home.writeConfig(`profiles:\n  p:\n    host: 127.0.0.1\n    open: [${open === 1 ? 2 : 1}, ${open}, ${open === 3 ? 4 : 3}]\n`);
      expect((await runKnock(['lint', 'p'], { env: home.env })).code).toBe(0);
      const probe = await runKnock(['lint', 'p', '--probe', '--json'], { env: home.env });
      expect(probe.code).toBe(1);
      expect(JSON.parse(probe.stdout).profiles[0].findings).toEqual([
        { level: 'warning', code: 'port-answers', message: 'knock 2 of the open sequence is accepted by 127.0.0.1: a knock there completes a handshake and sends more packets' },
      ]);
    } finally {
      server.close();
    }
  });
});

it('add reports a broken store and leaves it as it was', async () => {
  writeFileSync(home.writeConfig(''), 'profiles: [\n');
  const r = await runKnock(['add', 'x', 'h', '1', '2'], { env: home.env });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/config\.yaml:\d+:\d+: does not parse/);
  expect(readFileSync(storeFile(), 'utf8')).toBe('profiles: [\n');
});
