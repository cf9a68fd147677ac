// The words that are subcommands, names and aliases: commands/index.ts's list, as data that
// commands can import (index.ts imports every command, so a command cannot import it). A unit
// test holds the two equal. A profile named like one is reached only as `knock open NAME`.
export const COMMAND_NAMES: readonly string[] = [
  'open',
  'close',
  'list',
  'ls',
  'show',
  'add',
  'remove',
  'rm',
  'import',
  'lint',
  'proxy',
  'ssh-config',
  'serve',
  'rules',
  'completion',
  'group',
];
