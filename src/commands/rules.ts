// knock rules NAME --format iptables|nftables|knockd|puppet: the server side of a profile, on stdout.
import { spaAccessOf } from '../spa/profile.js';
import type { Context } from '../app/context.js';
import { requireProfile } from '../app/target.js';
import { ConfigError, KnockError, UsageError } from '../shared/errors.js';
import { checkPort } from '../knock/tokens.js';
import { VERSION } from '../shared/version.js';
import { checkDistinctDoors, doorOf, RULES_FORMATS, type Door, type DoorFamily, type RulesFormat } from '../rules/door.js';
import { iptablesRules } from '../rules/iptables.js';
import { knockdRules } from '../rules/knockd.js';
import { nftablesRules } from '../rules/nftables.js';
import { puppetGroupRules, puppetRules, type PuppetOptions } from '../rules/puppet.js';
import { defineCommand } from './command.js';
import { accessConfStanza } from '../spa/access-conf.js';
import type { Profile } from '../store/profiles.js';


/** `--format fwknopd`: the access.conf stanza that grants what the SPA profile asks for. */
function fwknopdStanza(profile: Profile, ports: number[] | undefined): string {
  const spa = profile.spa;
  if (!spa) throw new ConfigError(`profile '${profile.name}' is not an SPA profile: --format fwknopd is for profiles with spa:`);
  const access = ports ? ports.map((p) => `tcp/${p}`) : spaAccessOf(spa, profile);
  return accessConfStanza({
    profile: profile.name,
    access,
    keyBase64: spa.keys.key.toString('base64'),
    hmacKeyBase64: spa.keys.hmacKey.toString('base64'),
    hmacDigestType: spa.digests.hmac,
    ...(profile.openFor !== undefined ? { accessTimeout: profile.openFor } : {}),
    version: VERSION,
  });
}

/** The formats: the door's three, Puppet's, and fwknopd's access.conf for an SPA profile. */
const FORMATS = [...RULES_FORMATS, 'puppet', 'fwknopd'] as const;

interface RulesArgs {
  name: string;
  format: RulesFormat | 'puppet' | 'fwknopd';
  family?: number;
  port?: string;
}

export function parsePorts(text: string): number[] {
  return text.split(',').map((part) => {
    if (!/^\d+$/.test(part.trim())) throw new UsageError(`--port '${text}': expected PORT[,PORT...]`);
    return checkPort(Number(part), '--port');
  });
}

/**
 * The families asked for on the command line (-4, -6, --family), each checked against the
 * profile's own: a door limited to one family has no rules for the other.
 */
export function askedFamilies(door: Door, flags: { v4: boolean; v6: boolean; family?: number }): DoorFamily[] {
  const asked = ([4, 6] as const).filter((f) => (f === 4 ? flags.v4 : flags.v6) || flags.family === f);
  for (const f of asked) {
    if (!door.families.includes(f)) {
      throw new ConfigError(`profile '${door.name}' has family: ${door.families[0]}: its door has no IPv${f} rules (drop -${f}, or change the profile's family)`);
    }
  }
  return asked;
}

export const rulesCommand = defineCommand<RulesArgs>({
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'profile name, its host, or an ssh alias' })
      .option('format', { alias: 'f', type: 'string', choices: FORMATS, demandOption: true, describe: 'what to print', requiresArg: true })
      .option('family', { type: 'number', choices: [4, 6], describe: 'only this family (same as -4 or -6); iptables: one family per file', requiresArg: true })
      .option('port', { alias: 'p', type: 'string', describe: "port(s) behind the door (default: the profile's port, else 22)", requiresArg: true })
      .example('knock rules office --format iptables | iptables-restore --noflush', "load office's door into iptables")
      .example('knock rules office --format iptables -6 | ip6tables-restore --noflush', 'and its IPv6 half into ip6tables')
      .example('knock rules office --format nftables > /etc/nftables.d/knock-office.nft', 'the same door as an nftables table')
      .example('knock rules @fleet --format puppet > knock.pp', "one Puppet class per member of @fleet, for the nodes' manifests")
      .example('knock rules vault --format fwknopd >> /etc/fwknop/access.conf', "an SPA profile's stanza for fwknopd"),
  async run(args, ctx) {
    if (args.json) throw new UsageError('knock rules prints a firewall file; it has no --json form');
    const v4 = Boolean(ctx.args['4']);
    const v6 = Boolean(ctx.args['6']);
    if ((args.family === 4 && v6) || (args.family === 6 && v4)) throw new UsageError(`--family ${args.family} and -${args.family === 4 ? 6 : 4} contradict each other`);
    const flags = { v4, v6, ...(args.family !== undefined ? { family: args.family } : {}) };
    if (args.format === 'puppet') return puppet(args, ctx, flags);
    if (String(args.name).startsWith('@')) throw new UsageError(`knock rules ${String(args.name)}: a group's rules come only as Puppet classes (--format puppet)`);
    const profile = await requireProfile(ctx, String(args.name));
    if (args.format === 'fwknopd') {
      if (v6 || args.family === 6) throw new UsageError('fwknopd takes SPA over IPv4 only; --family 6 and -6 do not apply');
      if (profile.spa?.allow === 'source') ctx.warn(`profile '${profile.name}' sends allow: source (0.0.0.0), which this stanza's REQUIRE_SOURCE_ADDRESS Y refuses: give spa.allow an address, or drop it (the address the packet leaves from)`);
      ctx.io.stdout.write(fwknopdStanza(profile, args.port !== undefined ? parsePorts(args.port) : undefined));
      return 0;
    }
    if (profile.spa) throw new ConfigError(`profile '${profile.name}' is an SPA profile: its server side is fwknopd (--format fwknopd)`);
    const door = doorOf(profile, args.port !== undefined ? parsePorts(args.port) : undefined);
    const store = await ctx.store(String(args.name));
    checkDistinctDoors(profile.name, [...store.profiles.keys(), ...(store.broken?.keys() ?? [])]);
    const asked = askedFamilies(door, flags);
    let text: string;
    if (args.format === 'iptables') {
      if (asked.length > 1) {
        throw new UsageError(`iptables rules are one family per file: run knock rules ${profile.name} --format iptables -4 (for iptables-restore), then -6 (for ip6tables-restore)`);
      }
      const family = asked[0] ?? door.families[0]!;
      if (asked.length === 0 && door.families.length > 1) {
        ctx.warn(`IPv${family} rules only: the door's IPv6 half is knock rules ${profile.name} --format iptables -6 (for ip6tables-restore)`);
      }
      text = iptablesRules(door, family, VERSION);
    } else {
      const limited: Door = asked.length > 0 ? { ...door, families: asked } : door;
      text = args.format === 'nftables' ? nftablesRules(limited, VERSION) : knockdRules(limited, VERSION);
    }
    // The rules are the result: printed also with -q.
    ctx.io.stdout.write(text);
    return 0;
  },
});

/** --format puppet: one profile's class, applied as it stands, or a group's classes for a fleet. */
async function puppet(args: RulesArgs, ctx: Context, flags: { v4: boolean; v6: boolean; family?: number }): Promise<number> {
  const ports = args.port !== undefined ? parsePorts(args.port) : undefined;
  const member = async (name: string): Promise<{ door: Door; options: PuppetOptions }> => {
    const profile = await requireProfile(ctx, name);
    const door = doorOf(profile, ports);
    const store = await ctx.store(name);
    checkDistinctDoors(profile.name, [...store.profiles.keys(), ...(store.broken?.keys() ?? [])]);
    const asked = askedFamilies(door, flags);
    const families = asked.length > 0 ? asked : door.families;
    return { door, options: { families, ...(profile.portProtocol ? { serviceProtocol: profile.portProtocol } : {}) } };
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
