// A UDP echo service in the server namespace (both families) and a probe from the client that
// says whether an answer came back, for doors that guard a UDP service (`port: 1194/udp`).
import type { Lab } from './netns.js';
import { runProcess } from '../helpers/run-knock.js';

export async function startUdpEcho(lab: Lab, port: number): Promise<void> {
  const script = `const s = require('dgram').createSocket({ type: 'udp6' });
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(${port}, '::', () => console.log('listening'));`;
  const child = lab.spawn(lab.server, process.execPath, ['-e', script]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the UDP echo did not start')), 10000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('listening') && (clearTimeout(timer), resolve()));
    child.once('exit', (code) => reject(new Error(`the UDP echo exited (${code})`)));
  });
}

/** One datagram to address:port from the client namespace: true when it is echoed within 1 s. */
export async function udpAnswers(lab: Lab, address: string, port: number): Promise<boolean> {
  const script = `const s = require('dgram').createSocket(${JSON.stringify(address.includes(':') ? 'udp6' : 'udp4')});
s.on('message', () => { console.log('echo'); process.exit(0); });
s.on('error', () => { console.log('error'); process.exit(0); });
s.send('ping', ${port}, ${JSON.stringify(address)});
setTimeout(() => { console.log('silence'); process.exit(0); }, 1000);`;
  const result = await runProcess('ip', ['netns', 'exec', lab.client, process.execPath, '-e', script], { timeoutMs: 8000 });
  return result.stdout.trim() === 'echo';
}
