// knock import knockd.conf --host HOST: client profiles from the server's own config.
import { KNOCKD_CONF_RULES, readGuardedText } from '../files/guard.js';
import path from 'node:path';
import { ConfigError, UsageError } from '../shared/errors.js';
import { importKnockd, type ImportedProfile } from '../knockd/import.js';
import { parseKnockdConf } from '../knockd/conf.js';
import { checkStoredProfile, editStore, writableStore } from '../app/writable-store.js';
import { editStoreText } from '../store/write.js';
import { parseServicePort } from '../store/profiles.js';
import { defineCommand } from './command.js';
import { servicePortOption } from './options.js';
import { looksLikeFwknoprc } from '../spa/fwknoprc.js';
import { importFwknoprc } from '../app/import-fwknoprc.js';

function summary(p: ImportedProfile) {
  return {
    name: p.name,
    sections: p.sections,
    close: Boolean(p.profile.close),
    ...servicePortJson(p.profile.port),
    ...(p.profile.port !== undefined ? { portFrom: p.portFrom } : {}),
    ...(p.closesAfterS !== undefined ? { closesAfterS: p.closesAfterS } : {}),
  };
}

/** A stored service port in JSON: `port` a number, and `portProtocol: 'udp'` for a UDP service. */
function servicePortJson(value: number | string | undefined): { port?: number; portProtocol?: 'udp' } {
  const service = value === undefined ? 'bad' : parseServicePort(value);
  if (service === 'bad') return {};
  return { port: service.port, ...(service.protocol === 'udp' ? { portProtocol: 'udp' as const } : {}) };
}

interface ImportArgs {
  file: string;
  host?: string;
  port?: number | string;
  force?: boolean;
  dryRun?: boolean;
  oneTimeDir?: string;
}

export const importCommand = defineCommand<ImportArgs>({
  examples: [
    ['knock import /etc/knockd.conf --host gate.example.com -n', 'the profiles it would add; writes nothing'],
  ],
  builder: (yargs) =>
    yargs
      .positional('file', { type: 'string', describe: 'a knockd server config, e.g. /etc/knockd.conf' })
      .option('host', { type: 'string', describe: 'the server the profiles knock (knockd.conf does not say)', requiresArg: true })
      .option('port', { alias: 'p', type: 'string', coerce: servicePortOption('-p/--port'), describe: 'the service port behind the door (1194/udp for a UDP service)', requiresArg: true })
      .option('force', { alias: 'f', type: 'boolean', describe: 'replace profiles of the same names' })
      .option('one-time-dir', {
        type: 'string',
        describe: "where one_time_sequences profiles expect your copies of the server's files (default: one-time/ beside the store)",
        requiresArg: true,
      })
      .option('dry-run', { alias: 'n', type: 'boolean', describe: 'print the profiles (YAML, or JSON with --json) and write nothing' }),
  async run(args, ctx) {
    const file = path.resolve(ctx.io.cwd, String(args.file));
    const text = await readGuardedText(file, ctx.trust, KNOCKD_CONF_RULES);
    // An fwknop client rc file (~/.fwknoprc), told by its content: SPA profiles.
    if (looksLikeFwknoprc(text)) return importFwknoprc(ctx, file, text, args);
    const conf = parseKnockdConf(text, file);
    if (!args.host) throw new UsageError(`${file} does not say where the server is: give --host HOST`);
    const oneTimeDir = args.oneTimeDir === undefined ? undefined : path.resolve(ctx.io.cwd, args.oneTimeDir);
    const { profiles, copies, warnings } = importKnockd(conf, args.host, args.port, oneTimeDir);
    for (const warning of warnings) ctx.warn(warning);
    if (profiles.length === 0) throw new ConfigError(`${file}: no sections with a sequence to import`);
    const target = await writableStore(ctx);
    for (const p of profiles) checkStoredProfile(p.name, p.profile, target.file);
    if (args.dryRun) {
      if (args.json) ctx.json({ dryRun: true, file: target.file, from: file, profiles: profiles.map((p) => ({ ...summary(p), profile: p.profile })) });
      // As the store writer would write them (YAML with flow sequences).
      else ctx.io.stdout.write(editStoreText('import.yaml', '', { set: profiles.map((p) => [p.name, p.profile]) }));
      return 0;
    }
    const check = (names: ReadonlySet<string>) => {
      const taken = profiles.filter((p) => names.has(p.name)).map((p) => p.name);
      if (taken.length > 0 && !args.force) {
        throw new UsageError(`${taken.map((n) => `'${n}'`).join(', ')} already in ${target.file} (--force replaces them); nothing imported`);
      }
    };
    check(target.names);
    await editStore(ctx, target, { set: profiles.map((p) => [p.name, p.profile]), check });
    const toCopy = copies.map((c) => ({ ...c, to: path.resolve(path.dirname(target.file), c.to) }));
    if (args.json) {
      ctx.json({
        file: target.file,
        from: file,
        profiles: profiles.map((p) => ({ ...summary(p), ...(p.profile.one_time_sequences ? { oneTimeSequences: toCopy.find((c) => c.profile === p.name)?.to } : {}) })),
      });
      return 0;
    }
    // The client needs its own copy of each list: knock marks its lines as it sends them.
    for (const c of toCopy) ctx.warn(`${c.profile}: copy the server's ${c.from} to ${c.to} (mode 0600) before knocking: its open sequences come from there`);
    for (const p of profiles) {
      const how = p.sections.length === 2 ? `[${p.sections[0]}] + [${p.sections[1]}] paired: open and close sequences` : `[${p.sections[0]}]`;
      const port = p.portFrom === 'command' ? `; port ${p.profile.port} (its command opens it)` : '';
      const closes = p.closesAfterS !== undefined ? `; the door closes by itself ${p.closesAfterS} s after opening (cmd_timeout): connect within that` : '';
      ctx.out(`${p.name}: ${how}${port}${closes}`);
    }
    ctx.out(`imported ${profiles.length} profile${profiles.length === 1 ? '' : 's'} from ${file} into ${target.file}`);
    return 0;
  },
});
