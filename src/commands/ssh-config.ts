// knock ssh-config NAME [--add]: the Host block that makes ssh knock by itself.
import { requireProfile, requireTcpService } from '../app/target.js';
import { addToSshConfigFile } from '../ssh/config-file.js';
import { renderHostBlock, sshPercentEscape, type HostBlock } from '../ssh/host-block.js';
import { shellQuote } from '../proxy/self.js';
import { whyNoFdPass } from '../proxy/fd-pass.js';
import { knowsProxyUseFdpass, localSshVersion, type SshVersion } from '../ssh/version.js';
import type { Context } from '../app/context.js';
import { defineCommand } from './command.js';

interface SshConfigArgs {
  name: string;
  add?: boolean;
}

export const sshConfigCommand = defineCommand<SshConfigArgs>({
  examples: [
    ['knock ssh-config office --add', 'add a Host block that knocks to ~/.ssh/config'],
  ],
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'the profile' })
      .option('add', { type: 'boolean', describe: 'add it to ~/.ssh/config (backup kept; refuses if the host already has a ProxyCommand)' }),
  async run(args, ctx) {
    const profile = await requireProfile(ctx, String(args.name));
    requireTcpService(profile, 'ssh');
    const self = ctx.io.self;
    // ssh runs ProxyCommand through a shell on POSIX; Windows OpenSSH starts it directly,
    // where a script needs its interpreter named.
    // ssh expands %-tokens in ProxyCommand before the shell sees it: a '%' in knock's own path is doubled.
    const knock = sshPercentEscape(ctx.io.platform === 'win32' ? `"${self.node}" "${self.script}"` : shellQuote(self.script));
    const block: HostBlock = {
      alias: profile.name,
      ...(profile.host ? { hostName: profile.host } : {}),
      ...(profile.port ? { port: profile.port } : {}),
      proxyCommand: `${knock} proxy %n %p`,
    };
    const noFdpass = whyNoProxyUseFdpass(ctx);
    if (noFdpass === undefined) block.proxyUseFdpass = true;
    // Said either way: with it, ssh talks to the server itself; without it, every byte goes through knock.
    const fdpassNote = noFdpass === undefined
      ? 'ProxyUseFdpass yes: knock knocks, connects and hands the connection to ssh, which then talks to the server itself'
      : `no ProxyUseFdpass (${noFdpass}): knock relays the session`;
    if (!args.add) {
      if (ctx.args.json) ctx.json({ ...block, proxyUseFdpass: block.proxyUseFdpass ?? false, ...(noFdpass ? { noFdpass } : {}), text: renderHostBlock(block) });
      else {
        ctx.io.stdout.write(renderHostBlock(block));
        // Information, not an error: no `knock:` prefix, which reads as one.
        if (!ctx.args.quiet) ctx.io.stderr.write(`${fdpassNote}\n`);
      }
      return 0;
    }
    const file = ctx.ssh.file;
    const { outcome, backup, target } = await addToSshConfigFile(file, block, { homedir: ctx.io.homedir, uid: ctx.io.uid, localUser: ctx.io.user, pid: ctx.io.pid });
    if (ctx.args.json) {
      ctx.json({
        file,
        ...(target ? { target } : {}),
        result: outcome.kind,
        proxyUseFdpass: outcome.kind === 'added-block' ? Boolean(block.proxyUseFdpass) : outcome.kind === 'added-to-block' && outcome.added.includes('ProxyUseFdpass'),
        ...(noFdpass ? { noFdpass } : {}),
        ...(backup ? { backup } : {}),
        ...(outcome.kind === 'added-to-block' ? { added: outcome.added } : {}),
      });
    } else if (outcome.kind === 'unchanged') {
      ctx.out(`${file}: Host ${block.alias} already uses this ProxyCommand; nothing to do`);
    } else {
      const what = outcome.kind === 'added-block' ? `added Host ${block.alias}` : `added ${outcome.added.join(', ')} to Host ${block.alias}`;
      const fdpass = outcome.kind === 'added-block' || outcome.added.includes('ProxyUseFdpass') || noFdpass ? `; ${fdpassNote}` : '';
      ctx.out(`${file}${target ? ` (-> ${target})` : ''}: ${what}${backup ? ` (backup: ${backup})` : ''}${fdpass}`);
    }
    return 0;
  },
});

/**
 * Why ssh should not be told ProxyUseFdpass here, or undefined when it should: it needs
 * OpenSSH 5.5 or later on Unix (Windows' ssh cannot receive a socket) and a knock that can pass one.
 */
export function whyNoProxyUseFdpass(ctx: Context, version: () => SshVersion | undefined = localSshVersion): string | undefined {
  if (ctx.io.platform === 'win32') return "Windows' OpenSSH cannot take a socket from its ProxyCommand";
  const cannot = whyNoFdPass({}, ctx.io.platform);
  if (cannot) return cannot;
  const ssh = version();
  if (!ssh) return 'ssh -V does not name an OpenSSH version';
  if (!knowsProxyUseFdpass(ssh)) return `${ssh.text} is older than OpenSSH 5.5`;
  return undefined;
}
