// Concurrent edits of one store, end to end: rounds of `knock add` (and remove) started
// together never lose a profile, and a lock left by a dead knock is taken over.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { until } from '../helpers/until.js';

// Six rounds make every pairing of 2, 3 or 4 adders with and without a remover; eight take in
// two more. Twenty made 70 knock starts, which on a loaded 2-core machine outran the test's
// time (a CI baseline failure): the count bounds the work, and what it proves is the same.
const ROUNDS = 8;

let home: TempHome;
beforeEach(() => {
  home = new TempHome();
});
afterEach(() => home.cleanup());

const names = (file: string) => Object.keys((parse(readFileSync(file, 'utf8')) as { profiles: object }).profiles ?? {}).sort();

test(`${ROUNDS} rounds of 2-4 concurrent adds (and a remove) never lose a profile`, async () => {
  const file = home.writeConfig('# shared store\nprofiles:\n  keep:\n    host: 127.0.0.1\n    open: [1]\n');
  const expected = new Set(['keep']);
  let lost = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const count = 2 + (round % 3);
    const added = Array.from({ length: count }, (_, i) => `r${round}-${i}`);
    // Every other round one process removes a profile of the round before while the others add.
    const removed = round % 2 === 1 ? `r${round - 1}-0` : undefined;
    const runs = added.map((name, i) => runKnock(['add', name, '127.0.0.1', String(1000 + i), String(2000 + round)], { env: home.env }));
    if (removed) runs.push(runKnock(['remove', removed], { env: home.env }));
    const results = await Promise.all(runs);
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    for (const name of added) expected.add(name);
    if (removed) expected.delete(removed);
    const have = names(file);
    lost += [...expected].filter((n) => !have.includes(n)).length;
    expect(have).toEqual([...expected].sort());
  }
  expect(lost).toBe(0);
  expect(readFileSync(file, 'utf8').startsWith('# shared store\nprofiles:\n  keep:\n')).toBe(true);
  // No temp file and no lock left behind.
  expect(readdirSync(home.configDir)).toEqual(['config.yaml']);
});

test('a lock left by a knock that died is taken over', async () => {
  const file = home.writeConfig('profiles:\n');
  const dead = spawn(process.execPath, ['-e', '0']);
  const pid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
  writeFileSync(`${file}.edit-lock`, `${pid}\n${os.hostname()}\n`, { mode: 0o600 });
  const result = await runKnock(['add', 'a', '127.0.0.1', '1', '3'], { env: home.env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(names(file)).toEqual(['a']);
  expect(readdirSync(home.configDir)).toEqual(['config.yaml']);
});

test('a lock held by a live process makes the edit wait for it, then go through', async () => {
  const file = home.writeConfig('profiles:\n');
  const lock = `${file}.edit-lock`;
  writeFileSync(lock, `${process.pid}\n${os.hostname()}\n`, { mode: 0o600 });
  // The waiting knock reads the lock to judge its holder: with the lock's atime set back before
  // its mtime, that read moves the atime (relatime), an event the test can wait on.
  const past = new Date(Date.now() - 3600_000);
  const setBack = () => utimesSync(lock, past, statSync(lock).mtime);
  const readSince = () => statSync(lock).atimeMs > past.getTime() + 1000;
  setBack();
  readFileSync(lock);
  const atimeMoves = readSince();
  setBack();
  const ino = statSync(lock).ino;
  let done = false;
  const adding = runKnock(['add', 'a', '127.0.0.1', '1', '3'], { env: home.env }).finally(() => (done = true));
  if (atimeMoves) {
    // Still waiting: it read the lock, and read it again later (it looked, saw a live holder,
    // and looked once more), and all that time wrote nothing and left the lock as it was.
    expect(await until(readSince, 15000)).toBe(true);
    setBack();
    expect(await until(readSince, 15000)).toBe(true);
  } else {
    // A file system that keeps no atimes: a window (a bound, not a timed assertion).
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  expect(done).toBe(false);
  expect(statSync(lock).ino).toBe(ino);
  expect(names(file)).toEqual([]);
  const { unlinkSync } = await import('node:fs');
  unlinkSync(lock);
  const result = await adding;
  expect(result.code).toBe(0);
  expect(names(file)).toEqual(['a']);
  expect(path.basename(file)).toBe('config.yaml');
});
