// A TCP echo service in the server namespace and a client that holds one connection open, for
// checking that a door which stops taking new connections (open_for) keeps established ones.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Lab } from './netns.js';
import { until } from '../helpers/until.js';
import { knock, serviceOpen, type DoorLab } from './door-checks.js';

export const ECHO_SERVICE = 2224;
export const RENEW_SERVICE = 2225;

/**
 * Profiles whose doors let new connections in for one second after the open: `slow`, and
 * `renew`, whose close sequence shares the open sequence's knocks (re-knocking renews it).
 */
export function openForProfile(host: string, seqTimeout = 1): string {
  const profile = (name: string, port: number, open: string, close: string) =>
    `\n  ${name}:\n    host: "${host}"\n    port: ${port}\n    open: ${open}\n    close: ${close}\n    delay: 50\n    seq_timeout: ${seqTimeout}\n    open_for: 1\n`;
  return profile('slow', ECHO_SERVICE, '[7200, 7202]', '[7201]') + profile('renew', RENEW_SERVICE, '[7300, 7302]', '[7302, 7300]');
}

export async function startEchoService(lab: Lab): Promise<void> {
  const script = `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(${ECHO_SERVICE}, '::', () => console.log('listening'))`;
  const child = lab.spawn(lab.server, process.execPath, ['-e', script]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the echo service did not start')), 10000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('listening') && (clearTimeout(timer), resolve()));
    child.once('exit', (code) => reject(new Error(`the echo service exited (${code})`)));
  });
}

/**
 * A connection to the echo service, started ahead (node is running and ready before the knock,
 * so a slow start under load cannot miss the door's window): connect() makes it at once and
 * says whether it was accepted; answer() writes after `ms` and resolves with what came back.
 */
export async function connectionAhead(lab: Lab, address: string, ms: number): Promise<{ connect(): Promise<string>; answer: Promise<string> }> {
  const script = `process.stdin.once('data', () => {
  const s = require('net').connect(${ECHO_SERVICE}, ${JSON.stringify(address)});
  s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); });
  s.on('connect', () => { console.log('connected'); setTimeout(() => s.write('echo after ${ms} ms'), ${ms}); });
  s.on('data', (d) => { console.log(String(d)); process.exit(0); });
  setTimeout(() => { console.log('no answer'); process.exit(0); }, ${ms + 3000});
});
console.log('ready');`;
  const child = spawn('ip', ['netns', 'exec', lab.client, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (l) => {
    lines.push(l.trim());
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const line = async (n: number): Promise<string> => {
    while (lines.length < n) {
      const more = new Promise<void>((r) => waiters.push(r));
      if (await Promise.race([more.then(() => false), exited.then(() => true)])) break;
    }
    return lines[n - 1] ?? 'exited';
  };
  if ((await line(1)) !== 'ready') throw new Error(`the connecting child did not start: ${lines.join(' ')}`);
  return {
    connect: () => {
      child.stdin!.end('go\n');
      return line(2);
    },
    answer: exited.then(() => lines[2] ?? lines[1] ?? 'exited'),
  };
}

/** The doors of openForProfile at `address` (iptables and nftables; knockd has its own test). */
export function openForScenarios(get: () => DoorLab, address: string): void {
  test('open_for: new connections only within it; a connection made inside it stays up after', async () => {
    const d = get();
    expect(await serviceOpen(d.lab, address, ECHO_SERVICE)).toBe(false);
    // The held connection's node is started before the knock: a slow start cannot miss the
    // one-second window, and its being let in is the "open" check.
    const held = await connectionAhead(d.lab, address, 2500);
    await knock(d, ['open', 'slow']);
    expect(await held.connect()).toBe('connected');
    // The event: new connections are refused again once the window has passed (polled).
    expect(await until(async () => !(await serviceOpen(d.lab, address, ECHO_SERVICE)), 5000, 100)).toBe(true);
    expect(await held.answer).toBe('echo after 2500 ms');
  });

  test('open_for: knocking the open sequence again opens a new window, also where the close sequence shares its knocks', async () => {
    const d = get();
    await knock(d, ['open', 'renew']);
    expect(await serviceOpen(d.lab, address, RENEW_SERVICE)).toBe(true);
    // The event: the first window closes (polled), then the same knock opens a new one.
    expect(await until(async () => !(await serviceOpen(d.lab, address, RENEW_SERVICE)), 5000, 100)).toBe(true);
    await knock(d, ['open', 'renew']);
    expect(await serviceOpen(d.lab, address, RENEW_SERVICE)).toBe(true);
  });
}
