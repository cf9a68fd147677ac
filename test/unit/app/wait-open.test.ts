import { formatElapsed, parseWaitPorts, planWait } from '../../../src/app/wait-open.js';
import { UsageError } from '../../../src/shared/errors.js';

test('ports: a list, or bare for the profile port, else 22', () => {
  expect(parseWaitPorts('22, 443', undefined)).toEqual([22, 443]);
  expect(parseWaitPorts('', 2222)).toEqual([2222]);
  expect(parseWaitPorts('', undefined)).toEqual([22]);
  expect(() => parseWaitPorts('22,0', undefined)).toThrow(UsageError);
  expect(() => parseWaitPorts('ssh', undefined)).toThrow("--wait: 'ssh' is not a port number (1-65535)");
});

test('planWait: nothing without --wait; the timeout in ms; a bad timeout is a usage error', () => {
  expect(planWait({}, 22)).toBeUndefined();
  expect(planWait({ wait: '80', waitTimeout: 2.5 }, undefined)).toEqual({ ports: [80], timeoutMs: 2500 });
  expect(() => planWait({ wait: '80', waitTimeout: 0 }, undefined)).toThrow(UsageError);
});

test('formatElapsed: tenths of a second, milliseconds below a tenth', () => {
  expect(formatElapsed(400)).toBe('0.4 s');
  expect(formatElapsed(2345)).toBe('2.3 s');
  expect(formatElapsed(12)).toBe('0.012 s');
});
