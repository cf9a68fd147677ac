// run() in process with a store in a fake home, a fake clock, transport, lookup and sequence lock:
// nothing of the test process's own environment or home is read, and no lock directory is made.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../src/cli/cli.js';
import type { Lookup } from '../../src/knock/resolve.js';
import { FakeClock, FakeLock, FakeTransport, fakeIo } from './fakes.js';

/** `store` null: no store file at all. Lookups of `addresses`' names succeed; every lookup is recorded. */
export function setupCli(store: string | null, addresses: Record<string, string> = {}) {
  const io = fakeIo();
  const dir = path.join(io.homedir, '.config', 'knock');
  if (store !== null) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'config.yaml'), store, { mode: 0o600 });
  }
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const lock = new FakeLock();
  const lookups: string[] = [];
  const lookup: Lookup = async (host) => {
    lookups.push(host);
    const address = addresses[host];
    if (address) return { address, family: 4 };
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };
  const knock = async (...argv: string[]) => {
    io.stdout.text = '';
    io.stderr.text = '';
    const code = await run(argv, io, { transport, clock, lookup, lock });
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  };
  const restore = () => io.cleanup();
  return { io, dir, transport, clock, lock, lookups, knock, restore };
}
