// knock add NAME HOST KNOCK... [--close KNOCK...]: writes a profile into the user's store.
import { UsageError } from '../shared/errors.js';
import { formatKnock, parseKnockToken, type Knock } from '../knock/tokens.js';
import { checkStoredProfile, editStore, writableStore } from '../app/writable-store.js';
import type { StoredProfile } from '../store/write.js';
import { defineCommand } from './command.js';
import { msOption, portOption, secondsOption } from './options.js';

interface AddArgs {
  name: string;
  host: string;
  knocks: (string | number)[];
  close?: (string | number)[];
  delay?: number;
  seqTimeout?: number;
  port?: number;
  force?: boolean;
}

/** Subcommands win over profile names, so a profile named like one is reachable only as `knock open NAME`. */
export const COMMAND_NAMES = ['open', 'close', 'list', 'ls', 'add', 'remove', 'rm', 'show', 'import', 'lint', 'completion', 'proxy', 'ssh-config', 'serve'];

export function checkProfileName(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/.test(name)) {
    throw new UsageError(`profile name '${name}' is not usable (letters, digits and _ . @ + -, not starting with -)`);
  }
  return name;
}

/** A knock as the store writes it: a bare TCP port as a number, anything else as its token. */
export function storedKnock(knock: Knock): number | string {
  return knock.protocol === 'tcp' && knock.delay === undefined ? knock.port : formatKnock(knock);
}

export function parseTokens(tokens: readonly (string | number)[], what: string): (number | string)[] {
  if (tokens.length === 0) throw new UsageError(`${what}: no knocks given`);
  return tokens.map((t) => storedKnock(parseKnockToken(String(t))));
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
      .option('port', { alias: 'p', type: 'string', coerce: portOption('-p/--port'), describe: 'the service port behind the door (e.g. ssh)', requiresArg: true })
      .option('force', { alias: 'f', type: 'boolean', describe: 'replace a profile of the same name' }),
  takesRest: true,
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
      // -4 / -6 (global): the family knocked and connected to; both: `both`.
      ...(ctx.args['4'] || ctx.args['6'] ? { family: ctx.args['4'] && ctx.args['6'] ? 'both' : ctx.args['4'] ? 4 : 6 } : {}),
    };
    const { file, store } = await writableStore(ctx);
    checkStoredProfile(name, profile, file);
    let replacing = store.profiles.has(name) || Boolean(store.broken?.has(name));
    // Checked again on the store as read under the edit lock: another add may have won meanwhile.
    const check = (names: ReadonlySet<string>) => {
      replacing = names.has(name);
      if (replacing && !args.force) throw new UsageError(`profile '${name}' already exists in ${file} (--force replaces it)`);
    };
    check(new Set([...store.profiles.keys(), ...(store.broken?.keys() ?? [])]));
    await editStore(ctx, file, { set: [[name, profile]], check });
    if (COMMAND_NAMES.includes(name)) ctx.warn(`'${name}' is also a command: knock it with 'knock open ${name}'`);
    if (args.json) ctx.json({ file, profile: name, replaced: replacing });
    else ctx.out(`${replacing ? 'replaced' : 'added'} profile ${name} in ${file}`);
    return 0;
  },
});
