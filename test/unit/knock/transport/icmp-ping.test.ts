import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable, PARKED_SHELL, pingCommand } from '../../../../src/knock/transport/icmp-ping.js';

const v4 = { address: '198.18.0.2', family: 4 as const };
const v6 = { address: '2001:db8:0:1::2', family: 6 as const };

test('ping flags for one echo of N payload bytes, per OS', () => {
  expect(pingCommand('linux', v4, 64)).toEqual({ command: 'ping', args: ['-n', '-c', '1', '-s', '64', '-W', '1', '-4', '198.18.0.2'] });
  expect(pingCommand('linux', v6, 0)).toEqual({ command: 'ping', args: ['-n', '-c', '1', '-s', '0', '-W', '1', '-6', '2001:db8:0:1::2'] });
  expect(pingCommand('darwin', v4, 64)).toEqual({ command: 'ping', args: ['-n', '-c', '1', '-s', '64', '-t', '1', '198.18.0.2'] });
  expect(pingCommand('darwin', v6, 64)).toEqual({ command: 'ping6', args: ['-c', '1', '-s', '64', '2001:db8:0:1::2'] });
  expect(pingCommand('win32', v4, 64)).toEqual({ command: 'ping', args: ['-n', '1', '-l', '64', '-w', '1000', '-4', '198.18.0.2'] });
  expect(pingCommand('win32', v6, 64).args).toContain('-6');
});

test('findExecutable searches PATH for an executable file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'knock-path-'));
  const file = path.join(dir, 'myping');
  writeFileSync(file, '#!/bin/sh\n');
  expect(findExecutable('myping', { PATH: dir }, 'linux')).toBeUndefined();
  chmodSync(file, 0o755);
  expect(findExecutable('myping', { PATH: `/nonexistent${path.delimiter}${dir}` }, 'linux')).toBe(file);
  expect(findExecutable('myping', {}, 'linux')).toBeUndefined();
});

test('TTL and source flags per OS', () => {
  const opts = { address: '198.18.0.2', family: 4 as const, ttl: 5, source: '198.18.0.11' };
  expect(pingCommand('linux', opts, 8).args).toEqual(['-n', '-c', '1', '-s', '8', '-W', '1', '-t', '5', '-I', '198.18.0.11', '-4', '198.18.0.2']);
  expect(pingCommand('darwin', opts, 8).args).toEqual(['-n', '-c', '1', '-s', '8', '-t', '1', '-m', '5', '-S', '198.18.0.11', '198.18.0.2']);
  expect(pingCommand('darwin', { ...opts, family: 6, address: '2001:db8::2', source: '2001:db8::11' }, 8)).toEqual({
    command: 'ping6',
    args: ['-c', '1', '-s', '8', '-h', '5', '-S', '2001:db8::11', '2001:db8::2'],
  });
  expect(pingCommand('win32', opts, 8).args).toEqual(['-n', '1', '-l', '8', '-w', '1000', '-i', '5', '-S', '198.18.0.11', '-4', '198.18.0.2']);
});

test('the parked shell runs ping only after a line on its stdin, and not at all on EOF', async () => {
  const { spawnSync } = await import('node:child_process');
  const run = (input: string) => spawnSync('/bin/sh', ['-c', PARKED_SHELL, 'echo', 'pinged'], { input, encoding: 'utf8' }).stdout;
  expect(run('\n')).toBe('pinged\n');
  expect(run('')).toBe('');
});
