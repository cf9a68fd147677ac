// Debian's fwknopd in a lab's server namespace, a banner service behind its door, and how to
// see what it granted (its FWKNOP_INPUT chain).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../helpers/until.js';
import { CLIENT_V4, SERVER_V4, type Lab } from './netns.js';

export const BANNER = 'SSH-2.0-lab-banner\r\n';

/** fwknopd in the server namespace, sniffing veth0, with `access` as its access.conf. */
export async function startFwknopd(lab: Lab, dir: string, access: string): Promise<{ log: () => string }> {
  writeFileSync(join(dir, 'fwknopd.conf'), `FWKNOP_RUN_DIR ${dir}\nPCAP_INTF veth0\nPCAP_FILTER udp port 62201\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'access.conf'), access, { mode: 0o600 });
  let log = '';
  const d = lab.spawn(lab.server, '/usr/sbin/fwknopd', ['-f', '-i', 'veth0', '-c', join(dir, 'fwknopd.conf'), '-a', join(dir, 'access.conf'), '-d', join(dir, 'digest.cache'), '-p', join(dir, 'pid'), '-v', '-v']);
  d.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  d.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  // Ready once it has put its jump into INPUT and entered its loop.
  if (!(await until(() => /main event loop/i.test(log), 15_000))) throw new Error(`fwknopd did not start: ${log}`);
  return { log: () => log };
}

export function grants(lab: Lab): string {
  try {
    return lab.exec(lab.server, 'iptables', ['-S', 'FWKNOP_INPUT']);
  } catch {
    return '';
  }
}

export const OUR_GRANT = `-s ${CLIENT_V4}/32 -p tcp -m tcp --dport 22`;

/** A TCP service on port 22 of the server that sends a banner and closes. */
export async function startBanner(lab: Lab): Promise<void> {
  const script = `require('net').createServer((s) => { s.on('error', () => {}); s.end(${JSON.stringify(BANNER)}); }).listen(22, '0.0.0.0', () => console.log('listening'))`;
  const child = lab.spawn(lab.server, process.execPath, ['-e', script]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the banner service did not start')), 10000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('listening') && (clearTimeout(timer), resolve()));
    child.once('exit', (code) => reject(new Error(`the banner service exited (${code})`)));
  });
}

/** Whether tcp/22 answers from the client within 1.5 s (the DROP makes a closed door time out). */
export async function reaches22(lab: Lab): Promise<boolean> {
  try {
    return lab.exec(lab.client, 'nc', ['-w', '1', SERVER_V4, '22'], '').includes('SSH-2.0-lab-banner');
  } catch {
    return false;
  }
}

