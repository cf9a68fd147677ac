// 256 MiB through real ssh with `ProxyCommand knock proxy %n %p` against the same with
// `ProxyCommand nc %h %p`, same run, same sshd (on loopback, an ephemeral port).
// Goal: median time with knock <= 1.05 x median time with nc, in each direction.
// Standalone: node bench/sections/50-ssh-throughput.mjs   (after npm run build; needs root,
// sshd, ssh, ssh-keygen and nc).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MIB = 1024 * 1024;
const BYTES = Number(process.env.KNOCK_BENCH_SSH_MIB ?? 256) * MIB;
const RUNS = Number(process.env.KNOCK_BENCH_SSH_RUNS ?? 5);
const GOAL = 1.05;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function which(tool) {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')].map((d) => path.join(d, tool)).find((f) => existsSync(f));
}

async function startSshd(dir, port) {
  const keygen = (file) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'ignore' });
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'user_key'));
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'user_key.pub')));
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${path.join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PidFile none',
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn(which('sshd'), ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`sshd did not start: ${err}`)), 10000);
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
      if (err.includes('Server listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`sshd exited (${code}): ${err}`)));
  });
  return child;
}

function timeShell(command, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('sh', ['-c', command], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.once('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${command} exited ${code}: ${err.trim()}`));
      else resolve(ms);
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export default async function sshThroughput(ctx) {
  const title = `ssh throughput: ${BYTES / MIB} MiB through ssh, ProxyCommand knock proxy vs nc (median of ${RUNS})`;
  console.log(`\n## ${title}`);
  if (process.getuid?.() !== 0) return console.log('skipped: needs root (sshd logs root in with a throwaway key)');
  const missing = ['sshd', 'ssh', 'ssh-keygen', 'nc'].filter((t) => !which(t));
  if (missing.length) return console.log(`skipped: needs ${missing.join(', ')}`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-ssh-'));
  const port = await freePort();
  const sshd = await startSshd(dir, port);
  try {
    // Knocks on loopback ports where nothing listens: refused at once, as a fast firewall would.
    const [k1, k2, k3] = [await freePort(), await freePort(), await freePort()];
    const home = path.join(dir, 'home');
    mkdirSync(path.join(home, '.config', 'knock'), { recursive: true });
    writeFileSync(path.join(home, '.config', 'knock', 'config.yaml'), `profiles:\n  bench-knock:\n    host: 127.0.0.1\n    open: [${k1}, ${k2}]\n    close: [${k3}]\n    delay: 0\n`);
    const sshConfig = path.join(dir, 'ssh_config');
    const common = ['  HostName 127.0.0.1', `  Port ${port}`, '  User root', `  IdentityFile ${path.join(dir, 'user_key')}`, '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  GlobalKnownHostsFile /dev/null', '  BatchMode yes', '  LogLevel ERROR', '  Compression no'];
    writeFileSync(
      sshConfig,
      [
        'Host bench-knock', ...common, `  ProxyCommand ${process.execPath} ${ctx.knock} proxy %n %p`,
        'Host bench-nc', ...common, '  ProxyCommand nc %h %p',
        '',
      ].join('\n'),
    );
    const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') };
    delete env.KNOCK_CONFIG;
    const ssh = `ssh -F ${sshConfig}`;
    const directions = {
      // No data: what a session costs to set up (our start-up, the knocks, the connect).
      'set-up': (host) => `${ssh} ${host} true`,
      upload: (host) => `head -c ${BYTES} /dev/zero | ${ssh} ${host} 'cat > /dev/null'`,
      download: (host) => `${ssh} ${host} 'head -c ${BYTES} /dev/zero' > /dev/null`,
    };
    // One warm-up of each, then alternate so that load on the machine hits both alike.
    for (const host of ['bench-knock', 'bench-nc']) await timeShell(`${ssh} ${host} true`, env);
    const results = [];
    for (const [direction, command] of Object.entries(directions)) {
      const times = { 'bench-knock': [], 'bench-nc': [] };
      for (let i = 0; i < RUNS; i++) {
        for (const host of i % 2 ? ['bench-nc', 'bench-knock'] : ['bench-knock', 'bench-nc']) times[host].push(await timeShell(command(host), env));
      }
      const knock = median(times['bench-knock']);
      const nc = median(times['bench-nc']);
      const ratio = knock / nc;
      results.push({ direction, knock, nc, ratio });
      console.log(
        direction === 'set-up'
          ? `set-up    knock proxy ${knock.toFixed(0).padStart(6)} ms   nc ${nc.toFixed(0).padStart(6)} ms   difference ${(knock - nc).toFixed(0)} ms (ssh HOST true: no data)`
          : `${direction.padEnd(8)}  knock proxy ${knock.toFixed(0).padStart(6)} ms (${((BYTES / MIB) / (knock / 1000)).toFixed(0)} MiB/s)` +
            `   nc ${nc.toFixed(0).padStart(6)} ms (${((BYTES / MIB) / (nc / 1000)).toFixed(0)} MiB/s)` +
            `   ratio ${ratio.toFixed(3)}x  goal <= ${GOAL}x: ${ratio <= GOAL ? 'met' : 'MISSED'}`,
      );
      console.log(`          runs knock [${times['bench-knock'].map((t) => t.toFixed(0)).join(', ')}]  nc [${times['bench-nc'].map((t) => t.toFixed(0)).join(', ')}]`);
    }
    return results;
  } finally {
    sshd.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  await sshThroughput({ root, knock: path.join(root, 'bin', 'knock') });
}
