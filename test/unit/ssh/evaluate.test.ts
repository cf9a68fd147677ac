import { parseSshLines } from '../../../src/ssh/config-lines.js';
import { evaluateFor } from '../../../src/ssh/evaluate.js';
import type { SshConfigFile } from '../../../src/ssh/include.js';

const file = (name: string, text: string, included: SshConfigFile[][] = []): SshConfigFile => {
  let k = 0;
  return { file: name, lines: parseSshLines(text).map((l) => (l.keyword === 'include' ? { ...l, included: included[k++] ?? [] } : l)) };
};
const value = (tree: SshConfigFile, alias: string, key: string) => evaluateFor(tree, alias, { localUser: 'me' }).values.get(key)?.args[0];

test('first value wins; Host patterns are case-sensitive, ? is one character, a negation wins', () => {
  const tree = file('c', 'Host Door\n  Port 1\nHost d?or\n  Port 2\nHost * !skip\n  Port 3\n');
  expect(value(tree, 'Door', 'port')).toBe('1');
  expect(value(tree, 'door', 'port')).toBe('2');
  expect(value(tree, 'dor', 'port')).toBe('3');
  expect(value(tree, 'skip', 'port')).toBeUndefined();
});

test('an included file starts in the state of its Include line, which comes back after it', () => {
  const inc = file('inc', 'Port 10\nHost other\n  Port 11\n');
  const tree = file('c', 'Host door\n  Include inc\n  User after\nHost *\n  User wild\n', [[inc]]);
  expect(value(tree, 'door', 'port')).toBe('10');
  // `User after` still belongs to Host door, not to the included file's Host other.
  expect(value(tree, 'door', 'user')).toBe('after');
  expect(value(tree, 'x', 'port')).toBeUndefined();
  expect(value(tree, 'other', 'port')).toBeUndefined();
});

test('Match host/originalhost/user/localuser decided; exec never run and reported', () => {
  const tree = file('c', 'Host door\n  HostName GW.example\nMatch host gw.* user me\n  Port 5\nMatch exec "touch /tmp/x"\n  Port 6\nMatch originalhost !door,*\n  Port 7\n');
  expect(value(tree, 'door', 'port')).toBe('5');
  const other = evaluateFor(tree, 'other', { localUser: 'me' });
  expect(other.values.get('port')?.args[0]).toBe('7');
  expect(other.undecided).toEqual([{ file: 'c', line: 5, criterion: 'exec touch /tmp/x' }]);
});

test('literal Host definitions with their file and line; ProxyCommand after ProxyJump is ignored', () => {
  const inc = file('inc', '\nHost door\n  ProxyJump j\n  ProxyCommand nc %h %p\n');
  const ev = evaluateFor(file('c', 'Include inc\nHost a door\n', [[inc]]), 'door', { localUser: 'me' });
  expect(ev.definitions).toEqual([
    { file: 'inc', line: 2, reachable: true },
    { file: 'c', line: 2, reachable: true },
  ]);
  expect(ev.values.get('proxyjump')).toMatchObject({ rest: 'j', file: 'inc', line: 3 });
  expect(ev.values.has('proxycommand')).toBe(false);
});
