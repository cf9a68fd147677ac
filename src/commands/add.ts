// knock add NAME HOST KNOCK... [--close KNOCK...]: writes a profile into the user's store.
import { UsageError } from '../shared/errors.js';
import { checkTtl, parseKnockEntry, parseKnockToken, splitKnockList, storedKnock } from '../knock/tokens.js';
import { checkStoredProfile, editStore, writableStore } from '../app/writable-store.js';
import { COMMAND_NAMES } from '../app/command-names.js';
import type { StoredProfile } from '../store/write.js';
import type { StoredKnock } from '../store/store-edit.js';
import { checkGroupName } from '../store/groups.js';
import { lintProfile } from '../check/lint.js';
import { defineCommand } from './command.js';
import { msOption, parseNumberOption, secondsOption, servicePortOption } from './options.js';

const lastString = (value: unknown) => String(Array.isArray(value) ? value.at(-1) : value);
const wholeSecondsOption = (option: string) => (value: unknown) => parseNumberOption(value, { option, unit: 'a whole number of seconds', integer: true, min: 1 });
const ttlOption = (option: string) => (value: unknown) => checkTtl(parseNumberOption(value, { option, unit: 'a TTL', integer: true, min: 1, max: 255 }));

interface AddArgs {
  name: string;
  host: string;
  knocks: (string | number)[];
  close?: (string | number)[];
  delay?: number;
  seqTimeout?: number;
  port?: number | string;
  force?: boolean;
  ttl?: number;
  source?: string;
  openFor?: number;
  description?: string;
  group?: string | string[];
}

export function checkProfileName(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/.test(name)) {
    throw new UsageError(`profile name '${name}' is not usable (letters, digits and _ . @ + -, not starting with -)`);
  }
  return name;
}

/** `8000:udp(hex:dead)`: a UDP knock with its payload, as `show` prints it. */
const WITH_PAYLOAD = /^(.+:udp)\(((?:hex|text):.*)\)$/;

export function parseTokens(tokens: readonly (string | number)[], what: string): (number | string | StoredKnock)[] {
  if (tokens.length === 0) throw new UsageError(`${what}: no knocks given`);
  return splitKnockList(tokens).map((t) => {
    const withPayload = WITH_PAYLOAD.exec(String(t));
    if (!withPayload) return storedKnock(parseKnockToken(String(t)));
    const knock = parseKnockEntry({ ...tokenObject(withPayload[1]!), payload: withPayload[2]! }, what);
    if (knock.protocol !== 'udp' || knock.payload === undefined) throw new UsageError(`${what}: '${String(t)}': a payload is for UDP knocks`);
    return { port: knock.port, protocol: 'udp', payload: knock.payload };
  });
}

/** `8000:udp` as the store's object form, so a payload can go beside it. */
function tokenObject(token: string): { port: number; protocol: 'udp' } {
  const knock = parseKnockToken(token);
  if (knock.protocol !== 'udp') throw new UsageError(`'${token}': a payload is for UDP knocks`);
  return { port: knock.port, protocol: 'udp' };
}

export const addCommand = defineCommand<AddArgs>({
  examples: [
    ['knock add office gate.example.com 7000 8000:udp 9000 -p 22', 'ssh behind the door opened by 3 knocks'],
  ],
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', describe: 'profile name' })
      .positional('host', { type: 'string', describe: 'host name or address to knock' })
      .positional('knocks', { type: 'string', array: true, describe: 'the open sequence: PORT, PORT:tcp, PORT:udp, icmp, icmp:SIZE' })
      .option('close', { type: 'string', array: true, describe: 'a close sequence', requiresArg: true })
      .option('delay', { alias: 'd', type: 'string', coerce: msOption('-d/--delay'), describe: 'ms between knocks (default 100)', requiresArg: true })
      .option('seq-timeout', { type: 'string', coerce: secondsOption('--seq-timeout'), describe: "the server's window for the sequence, s (default 25)", requiresArg: true })
      .option('port', { alias: 'p', type: 'string', coerce: servicePortOption('-p/--port'), describe: 'the service port behind the door (e.g. ssh; 1194/udp for a UDP service)', requiresArg: true })
      .option('open-for', { type: 'string', coerce: wholeSecondsOption('--open-for'), describe: 'for knock rules: new connections only this many seconds after the open', requiresArg: true })
      .option('ttl', { type: 'string', coerce: ttlOption('--ttl'), describe: 'IP TTL (IPv6 hop limit) of every knock, 1-255', requiresArg: true })
      .option('source', { type: 'string', coerce: lastString, describe: 'every knock leaves from this local ADDRESS or INTERFACE', requiresArg: true })
      .option('group', { alias: 'g', type: 'string', describe: 'also add the profile to this group (repeatable; created if needed)', requiresArg: true })
      .option('description', { type: 'string', coerce: lastString, describe: 'a line for the reader, shown by show and list', requiresArg: true })
      .option('force', { alias: 'f', type: 'boolean', describe: 'replace a profile of the same name' }),
  takesRest: true,
  repeatable: ['group'],
  async run(args, ctx) {
    const name = checkProfileName(String(args.name));
    // `add p h 1111 -- 2222`: words after `--` are knocks of the open sequence, checked like the rest.
    const rest = ((args as { _?: unknown[] })._ ?? []).slice(1).map(String);
    // Keys in the order the README documents them.
    const profile: StoredProfile = {
      host: String(args.host),
      ...(args.port !== undefined ? { port: args.port } : {}),
      open: parseTokens([...args.knocks, ...rest], 'open'),
      ...(args.close ? { close: parseTokens(args.close, '--close') } : {}),
      ...(args.delay !== undefined ? { delay: args.delay } : {}),
      ...(args.seqTimeout !== undefined ? { seq_timeout: args.seqTimeout } : {}),
      ...(args.openFor !== undefined ? { open_for: args.openFor } : {}),
      ...(args.ttl !== undefined ? { ttl: args.ttl } : {}),
      ...(args.source !== undefined ? { source: args.source } : {}),
      // -4 / -6 (global): the family knocked and connected to; both: `both`.
      ...(ctx.args['4'] || ctx.args['6'] ? { family: ctx.args['4'] && ctx.args['6'] ? 'both' : ctx.args['4'] ? 4 : 6 } : {}),
      ...(args.description !== undefined ? { description: args.description } : {}),
    };
    const groups = [...new Set([args.group ?? []].flat().map((g) => checkGroupName(String(g).replace(/^@/, ''))))];
    const store = await writableStore(ctx);
    const { file } = store;
    const parsed = checkStoredProfile(name, profile, file);
    let replacing = store.names.has(name);
    // Checked again on the store as read under the edit lock: another add may have won meanwhile.
    const check = (names: ReadonlySet<string>) => {
      replacing = names.has(name);
      if (replacing && !args.force) throw new UsageError(`profile '${name}' already exists in ${file} (--force replaces it)`);
    };
    check(store.names);
    await editStore(ctx, store, { set: [[name, profile]], check, ...(groups.length ? { groups: groups.map((g) => [g, { add: [name] }]) } : {}) });
    if (COMMAND_NAMES.includes(name)) ctx.warn(`'${name}' is also a command: knock it with 'knock open ${name}'`);
    // What `knock lint NAME` would say of it, said now (the profile is added all the same).
    const findings = lintProfile(parsed).filter((f) => f.level === 'warning');
    for (const f of findings) ctx.warn(`${name}: ${f.message} [${f.code}]`);
    if (args.json) ctx.json({ file, profile: name, replaced: replacing, ...(groups.length ? { groups } : {}), warnings: findings });
    else ctx.out(`${replacing ? 'replaced' : 'added'} profile ${name} in ${file}${groups.length ? ` (${groups.map((g) => `@${g}`).join(', ')})` : ''}`);
    return 0;
  },
});
