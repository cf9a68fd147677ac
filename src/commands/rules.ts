// knock rules NAME --format iptables|nftables|knockd|puppet: the server side of a profile, on stdout.
import type { Context } from '../app/context.js';
import { requireProfile } from '../app/target.js';
import { ConfigError, KnockError, UsageError } from '../shared/errors.js';
import { checkPort } from '../knock/tokens.js';
import { VERSION } from '../shared/version.js';
import { doorOf, RULES_FORMATS, type RulesFormat } from '../rules/door.js';
import { iptablesRules } from '../rules/iptables.js';
import { knockdRules } from '../rules/knockd.js';
import { nftablesRules } from '../rules/nftables.js';
import { puppetGroupRules, puppetRules, type Family, type PuppetOptions } from '../rules/puppet.js';
import { defineCommand } from './command.js';

const FORMATS = [...RULES_FORMATS, 'puppet'] as const;

interface RulesArgs {
  name: string;
  format: RulesFormat | 'puppet';
  family?: number;
  port?: string;
}

export function parsePorts(text: string): number[] {
  return text.split(',').map((part) => {
    if (!/^\d+$/.test(part.trim())) throw new UsageError(`--port '${text}': expected PORT[,PORT...]`);
    return checkPort(Number(part), '--port');
  });
}

export const rulesCommand = defineCommand<RulesArgs>({
  command: 'rules <name>',
  describe: "print the server's side of a profile: iptables, nftables, knockd.conf or a Puppet manifest",
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'profile name, its host, or an ssh alias' })
      .option('format', { alias: 'f', type: 'string', choices: FORMATS, demandOption: true, describe: 'what to print', requiresArg: true })
      .option('family', { type: 'number', choices: [4, 6], describe: 'iptables and knockd: 6 for ip6tables (same as -6); puppet: that family only', requiresArg: true })
      .option('port', { alias: 'p', type: 'string', describe: "TCP port(s) behind the door (default: the profile's port, else 22)", requiresArg: true })
      .example('knock rules office --format iptables | iptables-restore --noflush', "load office's door into iptables")
      .example('knock rules office --format nftables > /etc/nftables.d/knock-office.nft', 'the same door as an nftables table')
      .example('knock rules @fleet --format puppet > knock.pp', "one Puppet class per member of @fleet, for the nodes' manifests"),
  async run(args, ctx) {
    if (args.json) throw new UsageError('knock rules prints a firewall file; it has no --json form');
    const family = args.family === 6 || ctx.family === 6 ? 6 : 4;
    if (args.family === 4 && ctx.family === 6) throw new UsageError('--family 4 and -6 contradict each other');
    if (args.format === 'nftables' && (args.family !== undefined || ctx.family !== 0)) {
      throw new UsageError('nftables rules cover IPv4 and IPv6 in one table; --family and -4/-6 are for iptables and knockd');
    }
    if (args.format === 'puppet') return puppet(args, ctx);
    if (String(args.name).startsWith('@')) throw new UsageError(`knock rules ${String(args.name)}: a group's rules come only as Puppet classes (--format puppet)`);
    const profile = await requireProfile(ctx, String(args.name));
    const door = doorOf(profile, args.port !== undefined ? parsePorts(args.port) : undefined);
    const text =
      args.format === 'iptables' ? iptablesRules(door, family, VERSION) : args.format === 'nftables' ? nftablesRules(door, VERSION) : knockdRules(door, family, VERSION);
    // The rules are the result: printed also with -q.
    ctx.io.stdout.write(text);
    return 0;
  },
});

/** --format puppet: one profile's class, applied as it stands, or a group's classes for a fleet. */
async function puppet(args: RulesArgs, ctx: Context): Promise<number> {
  const asked = args.family === 6 || ctx.family === 6 ? 6 : args.family === 4 || ctx.family === 4 ? 4 : undefined;
  const ports = args.port !== undefined ? parsePorts(args.port) : undefined;
  const member = async (name: string): Promise<{ door: ReturnType<typeof doorOf>; options: PuppetOptions }> => {
    const profile = await requireProfile(ctx, name);
    const own = profile.family === 4 || profile.family === 6 ? profile.family : undefined;
    if (asked !== undefined && own !== undefined && asked !== own) {
      throw new UsageError(`profile '${profile.name}' has family ${own}; its rules cannot guard IPv${asked} (drop -${asked}/--family)`);
    }
    const families: Family[] = asked !== undefined ? [asked] : own !== undefined ? [own] : [4, 6];
    return { door: doorOf(profile, ports), options: { families, ...(profile.portProtocol ? { serviceProtocol: profile.portProtocol } : {}) } };
  };
  const name = String(args.name);
  let text: string;
  if (name.startsWith('@')) {
    const group = name.slice(1);
    const store = await ctx.store();
    const members = store.groups?.get(group);
    if (!members) {
      const known = [...(store.groups?.keys() ?? [])].map((g) => `@${g}`).join(', ');
      throw new ConfigError(`unknown group '@${group}'${store.file ? ` in ${store.file}` : ''}${known ? ` (groups: ${known})` : ''}`);
    }
    const doors = [];
    for (const m of members) {
      doors.push(
        await member(m).catch((error: unknown) => {
          // The same error (class, exit code), with the member named first.
          if (error instanceof KnockError) error.message = `group @${group}: ${m}: ${error.message}`;
          throw error;
        }),
      );
    }
    text = puppetGroupRules(group, doors, VERSION);
  } else {
    const { door, options } = await member(name);
    text = puppetRules(door, options, VERSION);
  }
  // Built whole before anything is written: a refusal leaves stdout empty.
  ctx.io.stdout.write(text);
  return 0;
}
