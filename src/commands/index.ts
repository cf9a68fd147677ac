// Every command, in the order --help lists them. Subcommand names win over profile names.
import type { Command } from './command.js';
import { closeCommand, defaultCommand, openCommand } from './knock.js';
import { listCommand } from './list.js';
import { proxyCommand, watchdogCommand } from './proxy.js';
import { sshConfigCommand } from './ssh-config.js';

export const commands: Command[] = [openCommand, closeCommand, listCommand, proxyCommand, sshConfigCommand, watchdogCommand, defaultCommand];
