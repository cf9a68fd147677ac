// knock remove NAME: deletes a profile from the store it lives in.
import { ConfigError } from '../shared/errors.js';
import { editStore, writableStore } from '../app/writable-store.js';
import { defineCommand } from './command.js';

export const removeCommand = defineCommand<{ name: string }>({
  examples: [
    ['knock remove office', 'delete it from the store it lives in'],
  ],
  builder: (yargs) => yargs.positional('name', { type: 'string', describe: 'profile name' }),
  async run(args, ctx) {
    const name = String(args.name);
    // A broken profile can be removed: that is one way to fix it.
    const store = await writableStore(ctx);
    const { file } = store;
    const check = (names: ReadonlySet<string>) => {
      if (!names.has(name)) throw new ConfigError(`unknown profile '${name}'${store.found ? ` in ${file}` : ' (no profile store found)'}`);
    };
    check(store.names);
    // A group member cannot go first: say which group holds it (the store would otherwise be
    // refused as a group naming a missing profile, which reads backwards).
    const holders = [...(store.groups ?? new Map<string, string[]>())].filter(([, members]) => members.includes(name)).map(([group]) => group);
    if (holders.length > 0) {
      const which = holders.length === 1 ? `group ${holders[0]}` : `groups ${holders.join(', ')}`;
      const how = holders.map((g) => `knock group remove ${g} ${name}`).join('; ');
      throw new ConfigError(`${name} is in ${which}; take it out first (${how}), in ${file}`);
    }
    await editStore(ctx, store, { remove: [name], check });
    if (args.json) ctx.json({ file, profile: name, removed: true });
    else ctx.out(`removed profile ${name} from ${file}`);
    return 0;
  },
});
