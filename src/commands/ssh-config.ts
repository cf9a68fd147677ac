// knock ssh-config NAME [--add]: the Host block that makes ssh knock by itself.
import { requireProfile } from '../app/target.js';
import { addToSshConfigFile } from '../ssh/config-file.js';
import { renderHostBlock, type HostBlock } from '../ssh/host-block.js';
import { currentSelf, shellQuote } from '../proxy/self.js';
import { defineCommand } from './command.js';

interface SshConfigArgs {
  name: string;
  add?: boolean;
}

export const sshConfigCommand = defineCommand<SshConfigArgs>({
  command: 'ssh-config <name>',
  examples: [
    ['knock ssh-config office --add', 'add a Host block that knocks to ~/.ssh/config'],
  ],
  describe: 'print a Host block for ~/.ssh/config that knocks (--add: add it there)',
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'the profile' })
      .option('add', { type: 'boolean', describe: 'add it to ~/.ssh/config (backup kept; refuses if the host already has a ProxyCommand)' }),
  async run(args, ctx) {
    const profile = await requireProfile(ctx, String(args.name));
    const self = currentSelf();
    // ssh runs ProxyCommand through a shell on POSIX; Windows OpenSSH starts it directly,
    // where a script needs its interpreter named.
    const knock = ctx.io.platform === 'win32' ? `"${self.node}" "${self.script}"` : shellQuote(self.script);
    const block: HostBlock = {
      alias: profile.name,
      ...(profile.host ? { hostName: profile.host } : {}),
      ...(profile.port ? { port: profile.port } : {}),
      proxyCommand: `${knock} proxy %n %p`,
    };
    if (!args.add) {
      if (ctx.args.json) ctx.json({ ...block, text: renderHostBlock(block) });
      else ctx.io.stdout.write(renderHostBlock(block));
      return 0;
    }
    const file = ctx.ssh.file;
    const { outcome, backup } = await addToSshConfigFile(file, block);
    if (ctx.args.json) {
      ctx.json({ file, result: outcome.kind, ...(backup ? { backup } : {}), ...(outcome.kind === 'added-to-block' ? { added: outcome.added } : {}) });
    } else if (outcome.kind === 'unchanged') {
      ctx.out(`${file}: Host ${block.alias} already uses this ProxyCommand; nothing to do`);
    } else {
      const what = outcome.kind === 'added-block' ? `added Host ${block.alias}` : `added ${outcome.added.join(', ')} to Host ${block.alias}`;
      ctx.out(`${file}: ${what}${backup ? ` (backup: ${backup})` : ''}`);
    }
    return 0;
  },
});
