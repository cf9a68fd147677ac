// Every command, in the order --help lists them. Subcommand names win over profile names.
import { addCommand } from './add.js';
import type { Command } from './command.js';
import { completionCommand } from './completion.js';
import { closeCommand, defaultCommand, openCommand } from './knock.js';
import { groupCommand } from './group.js';
import { importCommand } from './import.js';
import { lintCommand } from './lint.js';
import { listCommand } from './list.js';
import { proxyCommand, watchdogCommand } from './proxy.js';
import { removeCommand } from './remove.js';
import { rulesCommand } from './rules.js';
import { serveCommand } from './serve.js';
import { showCommand } from './show.js';
import { sshConfigCommand } from './ssh-config.js';

export const commands: Command[] = [
  openCommand,
  closeCommand,
  listCommand,
  showCommand,
  addCommand,
  removeCommand,
  groupCommand,
  importCommand,
  lintCommand,
  proxyCommand,
  sshConfigCommand,
  serveCommand,
  rulesCommand,
  watchdogCommand,
  completionCommand,
  defaultCommand,
];
