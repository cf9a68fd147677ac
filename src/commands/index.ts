// Every command, in the order --help lists them. Subcommand names win over profile names.
// Each is declared here (what --help lists and the parser matches) and its module is loaded
// only when a run needs it: `knock office` evaluates the knock command and what it uses, not
// serve, rules or import (start-up is paid by every ssh ProxyCommand).
import { commandNames, type Command, type CommandDeclaration, type CommandModule } from './command.js';
import { WATCHDOG_COMMAND } from '../proxy/watchdog-name.js';

export interface CommandEntry extends CommandDeclaration {
  /** The command's module (its builder and handler). */
  load(): Promise<CommandModule>;
}

export const commands: readonly CommandEntry[] = [
  { command: 'open <target>', describe: "fire the profile's open sequence", load: async () => (await import('./knock.js')).openCommand },
  { command: 'close <target>', describe: "fire the profile's close sequence", load: async () => (await import('./knock.js')).closeCommand },
  { command: ['list', 'ls'], describe: 'list the profiles (sequences only with -v)', load: async () => (await import('./list.js')).listCommand },
  { command: 'show <name>', describe: 'show one profile, with its sequences', load: async () => (await import('./show.js')).showCommand },
  {
    command: 'add <name> <host> <knocks..>',
    describe: 'add a profile to your store (creates it, mode 0600, if needed)',
    load: async () => (await import('./add.js')).addCommand,
  },
  { command: ['remove <name>', 'rm <name>'], describe: 'remove a profile from your store', load: async () => (await import('./remove.js')).removeCommand },
  {
    command: 'group <action> <group> <profiles..>',
    describe: 'add profiles to a group, or take them out (knock @GROUP knocks them all)',
    load: async () => (await import('./group.js')).groupCommand,
  },
  {
    command: 'import <file>',
    describe: 'add profiles from a knockd.conf (each [section], [openX]/[closeX] paired) or an ~/.fwknoprc (SPA)',
    load: async () => (await import('./import.js')).importCommand,
  },
  {
    command: 'lint [name]',
    describe: 'check profiles for sequences that cannot work or are weak (exit 1 on warnings)',
    load: async () => (await import('./lint.js')).lintCommand,
  },
  {
    command: 'proxy <host> <port>',
    describe: 'ssh ProxyCommand: knock, connect, relay; closes after (ProxyCommand knock proxy %n %p)',
    load: async () => (await import('./proxy.js')).proxyCommand,
  },
  {
    command: 'ssh-config <name>',
    describe: 'print a Host block for ~/.ssh/config that knocks (--add: add it there)',
    load: async () => (await import('./ssh-config.js')).sshConfigCommand,
  },
  {
    command: 'serve [profile]',
    describe: "listen for a profile's knocks (or a knockd.conf's) and report them; no root needed",
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    command: 'rules <name>',
    describe: "print the server's side of a profile: iptables, nftables, knockd.conf, a Puppet manifest, or fwknopd's access.conf (SPA)",
    load: async () => (await import('./rules.js')).rulesCommand,
  },
  // Hidden: the detached child of `proxy` that sends the close plan (its stdin) at EOF.
  { command: WATCHDOG_COMMAND, describe: false, load: async () => (await import('./proxy.js')).watchdogCommand },
  {
    command: 'completion <shell>',
    describe: 'print the completion script for bash, zsh or fish',
    load: async () => (await import('./completion.js')).completionCommand,
  },
  {
    command: '$0 [target] [knocks..]',
    describe: 'knock a profile, or HOST with the given knocks (like knock(1))',
    load: async () => (await import('./knock.js')).defaultCommand,
  },
];

/** The command that runs when no command word is given. */
export const defaultEntry: CommandEntry = commands.find((c) => commandNames(c).length === 0)!;

/** Loads the modules of these commands (default: all), each with its declaration. */
export async function loadCommands(entries: readonly CommandEntry[] = commands): Promise<Command[]> {
  const loaded: Command[] = [];
  // One after the other: Jest's ES module loader can fail two imports of shared modules at once.
  for (const { load, ...declaration } of entries) loaded.push({ ...declaration, ...(await load()) });
  return loaded;
}
