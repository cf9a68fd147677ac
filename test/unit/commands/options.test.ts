import { msOption, parseNumberOption, portOption, secondsOption } from '../../../src/commands/options.js';

test('numbers as typed, named by their option', () => {
  expect(msOption('-d/--delay')('250')).toBe(250);
  expect(secondsOption('--connect-timeout')('1.5')).toBe(1.5);
  expect(portOption('-p/--port')('22')).toBe(22);
  expect(() => msOption('-d/--delay')('abc')).toThrow("-d/--delay 'abc' is not a number of milliseconds (>= 0)");
  expect(() => msOption('-d/--delay')('')).toThrow("-d/--delay '' is not");
  expect(() => secondsOption('--connect-timeout')('0')).toThrow("--connect-timeout '0' is not a number of seconds (> 0)");
  expect(() => portOption('-p/--port')('99999')).toThrow("-p/--port '99999' is not a port number (1-65535)");
  expect(() => portOption('-p/--port')('22.5')).toThrow('is not a port number');
  expect(() => parseNumberOption('1e3', { option: '-x', unit: 'a number', min: 0 })).toThrow("-x '1e3' is not a number");
});
