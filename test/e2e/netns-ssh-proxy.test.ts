// Real OpenSSH through `ProxyCommand knock proxy`: sshd behind an iptables recent door (two
// open knocks, one close knock) in one namespace, ssh in another. The door opens for the
// session and is closed again however ssh ends.
import { spawn } from 'node:child_process';
import { KNOCK_BIN, TempHome, runKnock, runProcess } from '../helpers/run-knock.js';
import { describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { installRecentDoor, portAccepts } from '../lab/recent-firewall.js';
import { sshClientOptions, startSshd, type Sshd } from '../lab/sshd.js';
import { until } from '../helpers/until.js';

describeLab('ssh through knock proxy (netns, sshd, iptables recent)', ['iptables', 'nc', 'ssh', 'sshd', 'ssh-keygen'], () => {
  let lab: Lab;
  let sshd: Sshd;
  let home: TempHome;
  let sshConfig: string;

  beforeAll(async () => {
    lab = Lab.create('px');
    installRecentDoor(lab, lab.server, { open: [1111, 2222], close: 3333, services: [22] });
    sshd = await startSshd(lab, lab.server, SERVER_V4);
    home = new TempHome();
    // The profile has no host: it resolves through ~/.ssh/config, as ssh itself does.
    home.writeConfig('profiles:\n  door:\n    open: [1111, 2222]\n    close: [3333]\n    delay: 50\n');
    const proxy = (token: string) => `ProxyCommand ${process.execPath} ${KNOCK_BIN} proxy ${token} %p`;
    sshConfig = home.writeFile(
      '.ssh/config',
      [
        'Host door',
        `  HostName ${SERVER_V4}`,
        '  User root',
        `  ${proxy('%n')}`,
        'Host door-by-address',
        `  HostName ${SERVER_V4}`,
        '  User root',
        `  ${proxy('%h')}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    sshd?.stop();
    lab?.destroy();
    home?.cleanup();
  });

  const doorOpen = () => portAccepts(lab, lab.client, SERVER_V4, 22);
  const sshArgs = (alias: string, command: string, options: string[] = []) => [
    'netns', 'exec', lab.client, 'ssh', '-F', sshConfig, ...sshClientOptions(sshd.userKey), ...options, alias, command,
  ];

  beforeEach(() => {
    // Every test starts at a closed door, or it proves nothing.
    expect(doorOpen()).toBe(false);
  });

  test.each([
    ['%n (the alias as typed)', 'door'],
    ['%h (the HostName)', 'door-by-address'],
  ])('ProxyCommand with %s: the command runs, its output comes back, the door closes after', async (_name, alias) => {
    const result = await runProcess('ip', sshArgs(alias, 'echo hello from $(hostname -s 2>/dev/null || echo sshd); exit 3'), { env: home.env, timeoutMs: 30000 });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^hello from \S+\n$/);
    // ssh passes on the remote command's status: the session really ran.
    expect(result.code).toBe(3);
    expect(await until(() => !doorOpen(), 5000, 100)).toBe(true);
  });

  test.each(['SIGTERM', 'SIGKILL'] as const)('ssh sent %s mid-session: the door is closed again', async (signal) => {
    const ssh = spawn('ip', sshArgs('door', 'echo ready; exec sleep 60'), { env: home.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => ssh.once('exit', resolve));
    let stderr = '';
    ssh.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      ssh.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      ssh.once('exit', () => reject(new Error(`ssh ended before the session was up: ${stderr}`)));
    });
    // Mid-session the door is open (this is what must be undone).
    expect(doorOpen()).toBe(true);
    ssh.kill(signal);
    await exited;
    expect(await until(() => !doorOpen(), 5000, 100)).toBe(true);
  });

  test('a door that never opens: ssh fails, and the proxy says why in one line', async () => {
    // A wrong second knock: the state machine starts over and port 22 stays shut.
    home.writeConfig('profiles:\n  door:\n    open: [1111, 4444]\n    close: [3333]\n    delay: 50\n');
    try {
      const result = await runProcess(
        'ip',
        sshArgs('door', 'true', ['-o', `ProxyCommand ${process.execPath} ${KNOCK_BIN} proxy %n %p --connect-timeout 1`]),
        { env: home.env, timeoutMs: 30000 },
      );
      expect(result.code).toBe(255);
      expect(result.stderr).toMatch(new RegExp(`^knock: connect to ${SERVER_V4.replace(/\./g, '\\.')}:22 failed after 1 s: .*(EHOSTUNREACH|ETIMEDOUT)`, 'm'));
      expect(result.stdout).toBe('');
    } finally {
      home.writeConfig('profiles:\n  door:\n    open: [1111, 2222]\n    close: [3333]\n    delay: 50\n');
    }
  });

  test('knock open door --wait 22 returns with the door open; knock close door shuts it', async () => {
    const open = await runKnock(['open', 'door', '--wait', '22'], { env: home.env, netns: lab.client });
    const closing = () => runKnock(['close', 'door'], { env: home.env, netns: lab.client });
    try {
      expect(open.stderr).toBe('');
      expect(open.code).toBe(0);
      expect(open.stdout).toMatch(/^knocked door: 2 knocks in .* ms\n198\.18\.0\.2:22: open after \d/);
      expect(doorOpen()).toBe(true);
    } catch (error) {
      await closing();
      throw error;
    }
    const close = await closing();
    expect(close.code).toBe(0);
    expect(doorOpen()).toBe(false);
  });

  test('knock open --wait on a door that stays shut: exit 1 after the timeout', async () => {
    home.writeConfig('profiles:\n  door:\n    open: [1111, 4444]\n    close: [3333]\n    delay: 50\n');
    try {
      const result = await runKnock(['open', 'door', '--wait', '22', '--wait-timeout', '1'], { env: home.env, netns: lab.client });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^knock: 198\.18\.0\.2:22 did not accept a connection within 1 s: .*(EHOSTUNREACH|ETIMEDOUT).*\n$/);
    } finally {
      home.writeConfig('profiles:\n  door:\n    open: [1111, 2222]\n    close: [3333]\n    delay: 50\n');
    }
  });
});

