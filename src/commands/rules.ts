// knock rules NAME --format iptables|nftables|knockd: the server side of a profile, on stdout.
import { requireProfile } from '../app/target.js';
import { UsageError } from '../shared/errors.js';
import { checkPort } from '../knock/tokens.js';
import { VERSION } from '../shared/version.js';
import { doorOf, RULES_FORMATS, type RulesFormat } from '../rules/door.js';
import { iptablesRules } from '../rules/iptables.js';
import { knockdRules } from '../rules/knockd.js';
import { nftablesRules } from '../rules/nftables.js';
import { defineCommand } from './command.js';

interface RulesArgs {
  name: string;
  format: RulesFormat;
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
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'profile name, its host, or an ssh alias' })
      .option('format', { alias: 'f', type: 'string', choices: RULES_FORMATS, demandOption: true, describe: 'what to print', requiresArg: true })
      .option('family', { type: 'number', choices: [4, 6], describe: 'iptables and knockd: 6 for ip6tables (same as -6)', requiresArg: true })
      .option('port', { alias: 'p', type: 'string', describe: "TCP port(s) behind the door (default: the profile's port, else 22)", requiresArg: true })
      .example('knock rules office --format iptables | iptables-restore --noflush', "load office's door into iptables")
      .example('knock rules office --format nftables > /etc/nftables.d/knock-office.nft', 'the same door as an nftables table'),
  async run(args, ctx) {
    if (args.json) throw new UsageError('knock rules prints a firewall file; it has no --json form');
    const family = args.family === 6 || ctx.family === 6 ? 6 : 4;
    if (args.family === 4 && ctx.family === 6) throw new UsageError('--family 4 and -6 contradict each other');
    if (args.format === 'nftables' && (args.family !== undefined || ctx.family !== 0)) {
      throw new UsageError('nftables rules cover IPv4 and IPv6 in one table; --family and -4/-6 are for iptables and knockd');
    }
    const profile = await requireProfile(ctx, String(args.name));
    const door = doorOf(profile, args.port !== undefined ? parsePorts(args.port) : undefined);
    const text =
      args.format === 'iptables' ? iptablesRules(door, family, VERSION) : args.format === 'nftables' ? nftablesRules(door, VERSION) : knockdRules(door, family, VERSION);
    // The rules are the result: printed also with -q.
    ctx.io.stdout.write(text);
    return 0;
  },
});
