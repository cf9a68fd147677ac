// knock serve: how long from a UDP knock leaving to its event line on serve's stdout, against a
// bare Node dgram server that prints one line per datagram (the floor for any Node server).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROUNDS = 300;

async function freeUdpPort() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts a line-printing child, waits for its first line, then times ROUNDS datagrams to their lines. */
async function measure(command, args, env, port) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let buffer = '';
  let waiting;
  child.stdout.setEncoding('utf8').on('data', (d) => {
    buffer += d;
    const lines = buffer.split('\n');
    buffer = lines.pop();
    // Only knock lines count (serve also prints "open" after each one here).
    for (const l of lines) if (l.includes('"event":"knock"') || l === 'ready' || l.includes('"listening"')) waiting?.();
  });
  const nextLine = () => new Promise((r) => (waiting = r));
  await nextLine();
  const socket = dgram.createSocket('udp4');
  const samples = [];
  for (let i = 0; i < ROUNDS + 20; i++) {
    const line = nextLine();
    const t0 = process.hrtime.bigint();
    socket.send(Buffer.from([0]), port, '127.0.0.1');
    await line;
    if (i >= 20) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await new Promise((r) => setTimeout(r, 2));
  }
  socket.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('close', r));
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { p50: q(0.5), p99: q(0.99) };
}

export default async function (ctx) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-bench-serve-'));
  try {
    const port = await freeUdpPort();
    // A one-knock door: every datagram is a knock that opens, so each gives at least one line.
    writeFileSync(path.join(dir, 'config.yaml'), `profiles:\n  b:\n    open: ["${port}:udp"]\n`, { mode: 0o600 });
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, KNOCK_CONFIG: path.join(dir, 'config.yaml') };
    const baselineSrc = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>process.stdout.write(JSON.stringify({event:'knock',src:r.address})+'\\n'));s.bind(${port},'127.0.0.1',()=>process.stdout.write('ready\\n'));process.on('SIGTERM',()=>s.close());`;
    const base = await measure(process.execPath, ['-e', baselineSrc], env, port);
    const serve = await measure(process.execPath, [ctx.knock, 'serve', 'b', '--json'], env, port);
    const f = (x) => x.toFixed(3);
    console.log(`serve: UDP knock -> event line, ${ROUNDS} knocks 2 ms apart`);
    console.log(`  bare node dgram printer  p50 ${f(base.p50)} ms  p99 ${f(base.p99)} ms`);
    console.log(`  knock serve --json       p50 ${f(serve.p50)} ms  p99 ${f(serve.p99)} ms`);
    console.log(`  ratio (serve / baseline) p50 ${(serve.p50 / base.p50).toFixed(2)}  p99 ${(serve.p99 / base.p99).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
