// knock rules NAME --format iptables|nftables|knockd: the server side of a profile, on stdout.
import { requireProfile } from '../app/target.js';
import { ConfigError, UsageError } from '../shared/errors.js';
import { checkPort } from '../knock/tokens.js';
import { VERSION } from '../shared/version.js';
import { doorOf, RULES_FORMATS, type RulesFormat } from '../rules/door.js';
import { iptablesRules } from '../rules/iptables.js';
import { knockdRules } from '../rules/knockd.js';
import { nftablesRules } from '../rules/nftables.js';
import { defineCommand } from './command.js';
import { accessConfStanza } from '../spa/access-conf.js';
import type { Profile } from '../store/profiles.js';

/** The formats: the door's three, and fwknopd's access.conf for an SPA profile. */
const FORMATS = [...RULES_FORMATS, 'fwknopd'] as const;

/** `--format fwknopd`: the access.conf stanza that grants what the SPA profile asks for. */
function fwknopdStanza(profile: Profile, ports: number[] | undefined): string {
  const spa = profile.spa;
  if (!spa) throw new ConfigError(`profile '${profile.name}' is not an SPA profile: --format fwknopd is for profiles with spa:`);
  const access = ports ? ports.map((p) => `tcp/${p}`) : (spa.access ?? [`${profile.portProtocol ?? 'tcp'}/${profile.port ?? 22}`]);
  return accessConfStanza({
    profile: profile.name,
    access,
    keyBase64: spa.keys.key.toString('base64'),
    hmacKeyBase64: spa.keys.hmacKey.toString('base64'),
    ...(profile.openFor !== undefined ? { accessTimeout: profile.openFor } : {}),
    version: VERSION,
  });
}

interface RulesArgs {
  name: string;
  format: RulesFormat | 'fwknopd';
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
  describe: "print the server's side of a profile: iptables, nftables, knockd.conf, or fwknopd's access.conf (SPA)",
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'profile name, its host, or an ssh alias' })
      .option('format', { alias: 'f', type: 'string', choices: FORMATS, demandOption: true, describe: 'what to print', requiresArg: true })
      .option('family', { type: 'number', choices: [4, 6], describe: 'iptables and knockd: 6 for ip6tables (same as -6)', requiresArg: true })
      .option('port', { alias: 'p', type: 'string', describe: "TCP port(s) behind the door (default: the profile's port, else 22)", requiresArg: true })
      .example('knock rules office --format iptables | iptables-restore --noflush', "load office's door into iptables")
      .example('knock rules office --format nftables > /etc/nftables.d/knock-office.nft', 'the same door as an nftables table')
      .example('knock rules vault --format fwknopd >> /etc/fwknop/access.conf', "an SPA profile's stanza for fwknopd"),
  async run(args, ctx) {
    if (args.json) throw new UsageError('knock rules prints a firewall file; it has no --json form');
    const family = args.family === 6 || ctx.family === 6 ? 6 : 4;
    if (args.family === 4 && ctx.family === 6) throw new UsageError('--family 4 and -6 contradict each other');
    if (args.format === 'nftables' && (args.family !== undefined || ctx.family !== 0)) {
      throw new UsageError('nftables rules cover IPv4 and IPv6 in one table; --family and -4/-6 are for iptables and knockd');
    }
    const profile = await requireProfile(ctx, String(args.name));
    if (args.format === 'fwknopd') {
      if (args.family === 6 || ctx.family === 6) throw new UsageError('fwknopd takes SPA over IPv4 only; --family 6 and -6 do not apply');
      if (profile.spa?.allow === 'source') ctx.warn(`profile '${profile.name}' sends allow: source (0.0.0.0), which this stanza's REQUIRE_SOURCE_ADDRESS Y refuses: give spa.allow an address, or drop it (the address the packet leaves from)`);
      ctx.io.stdout.write(fwknopdStanza(profile, args.port !== undefined ? parsePorts(args.port) : undefined));
      return 0;
    }
    if (profile.spa) throw new ConfigError(`profile '${profile.name}' is an SPA profile: its server side is fwknopd (--format fwknopd)`);
    const door = doorOf(profile, args.port !== undefined ? parsePorts(args.port) : undefined);
    const text =
      args.format === 'iptables' ? iptablesRules(door, family, VERSION) : args.format === 'nftables' ? nftablesRules(door, VERSION) : knockdRules(door, family, VERSION);
    // The rules are the result: printed also with -q.
    ctx.io.stdout.write(text);
    return 0;
  },
});
