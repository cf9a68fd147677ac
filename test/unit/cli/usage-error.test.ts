import { usageErrorOf } from '../../../src/cli/usage-error.js';

test('usageErrorOf leaves messages it does not know alone', () => {
  expect(usageErrorOf('Something else', []).message).toBe('Something else');
  expect(usageErrorOf('Unknown arguments: bogus, other', ['--bogus', '--other']).message).toBe('unknown option --bogus (see knock --help)');
});
