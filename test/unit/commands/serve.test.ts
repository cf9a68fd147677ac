import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { serveWith } from '../../../src/commands/serve.js';
import { Context } from '../../../src/app/context.js';
import type { Io } from '../../../src/shared/io.js';
import type { ServeDeps } from '../../../src/serve/session.js';
import { fakeProcess } from '../../helpers/fakes.js';
import { until } from '../../helpers/until.js';

function fakeIo(dir: string) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (c) => ((stdout += String(c)), true) },
    stderr: { write: (c) => ((stderr += String(c)), true) },
    stdin: Readable.from([]),
    env: {},
    cwd: dir,
    homedir: dir,
    platform: 'linux',
    ...fakeProcess(dir),
  };
  return { io, out: () => stdout, err: () => stderr };
}

describe('knock serve (command, with fake sockets and signals)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'knock-serve-unit-'));
    writeFileSync(path.join(dir, 'knockd.conf'), '[options]\n\tUseSyslog\n[openSSH]\n\tsequence = 7000,8000:udp\n\ttcpflags = syn,ack\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('serves until the stop signal, then closes everything and returns 0; JSON lines on stdout, warnings on stderr', async () => {
    const knockers = new Map<string, (src: string) => void>();
    let closed = 0;
    let stop: (() => void) | undefined;
    let released = false;
    const deps: ServeDeps = {
      wallMs: () => 1_700_000_000_000,
      setTimer: () => () => {},
      listenKnock: async (k, host, onKnock) => {
        expect(host).toBe('127.0.0.1');
        knockers.set(`${k.proto}/${k.port}`, onKnock);
        return { close: async () => void closed++ };
      },
      startGuard: async () => ({ close: async () => {} }),
      runAction: () => ({ exit: Promise.resolve(0), release: () => {} }),
      claimOneTime: async () => {
        throw new Error('no one-time door here');
      },
    };
    const { io, out, err } = fakeIo(dir);
    const ctx = new Context(io, { json: true });
    const done = serveWith(deps, (s) => {
      stop = s;
      return () => (released = true);
    })({ knockdConf: 'knockd.conf', bind: '127.0.0.1', json: true }, ctx);
    expect(await until(() => out().includes('listening'))).toBe(true);
    knockers.get('tcp/7000')!('192.0.2.1');
    knockers.get('udp/8000')!('192.0.2.1');
    stop!();
    expect(await done).toBe(0);
    expect(closed).toBe(2);
    expect(released).toBe(true);
    expect(out().trim().split('\n').map((l) => JSON.parse(l).event)).toEqual(['listening', 'knock', 'knock', 'open', 'stopped']);
    expect(err()).toMatch(/^knock: warning: .*knockd\.conf:3: \[openSSH\]: tcpflags = syn,ack is not checked/);
  });

  test('usage errors before anything is bound', async () => {
    const { io } = fakeIo(dir);
    const never = () => {
      throw new Error('must not listen');
    };
    const deps = { wallMs: Date.now, setTimer: never, listenKnock: never, startGuard: never, runAction: never } as unknown as ServeDeps;
    const run = serveWith(deps, () => () => {});
    const ctx = new Context(io, {});
    await expect(run({ bind: 'localhost', knockdConf: 'knockd.conf' }, ctx)).rejects.toThrow("--bind 'localhost' is not an IP address");
    await expect(run({ bind: '127.0.0.1' }, ctx)).rejects.toThrow('knock serve needs a PROFILE (or --knockd-conf FILE)');
    await expect(run({ bind: '127.0.0.1', knockdConf: 'missing.conf' }, ctx)).rejects.toThrow(/cannot read .*missing\.conf: no such file/);
    await expect(run({ bind: '127.0.0.1', knockdConf: 'knockd.conf', profile: 'x' }, ctx)).rejects.toThrow(/not both/);
  });
});
