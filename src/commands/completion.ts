// knock completion bash|zsh|fish: prints the checked-in completion script for that shell.
import { readFile } from 'node:fs/promises';
import { RuntimeError, reasonOf } from '../shared/errors.js';
import { defineCommand } from './command.js';

export const COMPLETION_FILES = { bash: 'knock.bash', zsh: '_knock', fish: 'knock.fish' } as const;
type Shell = keyof typeof COMPLETION_FILES;

/** completions/ sits next to dist/ (the bundle) and src/ (tests), as the package ships it. */
export function completionScriptUrl(shell: Shell): URL {
  return new URL(`../completions/${COMPLETION_FILES[shell]}`, import.meta.url.includes('/src/commands/') ? new URL('../', import.meta.url) : import.meta.url);
}

export const completionCommand = defineCommand<{ shell: Shell }>({
  examples: [
    ['knock completion bash > ~/.local/share/bash-completion/completions/knock', 'install for bash'],
  ],
  builder: (yargs) => yargs.positional('shell', { type: 'string', choices: Object.keys(COMPLETION_FILES), describe: 'the shell' }),
  async run(args, ctx) {
    const url = completionScriptUrl(args.shell);
    try {
      ctx.io.stdout.write(await readFile(url, 'utf8'));
    } catch (error) {
      throw new RuntimeError(`${url.pathname}: cannot read the ${args.shell} completion script: ${reasonOf(error)}`);
    }
    return 0;
  },
});
