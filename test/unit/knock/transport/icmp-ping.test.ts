import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable, pingCommand } from '../../../../src/knock/transport/icmp-ping.js';

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
