// knock remove NAME: deletes a profile from the store it lives in.
import { ConfigError } from '../shared/errors.js';
import { editStore, writableStore } from '../app/writable-store.js';
import { defineCommand } from './command.js';

export const removeCommand = defineCommand<{ name: string }>({
  command: ['remove <name>', 'rm <name>'],
  examples: [
    ['knock remove office', 'delete it from the store it lives in'],
  ],
  describe: 'remove a profile from your store',
  builder: (yargs) => yargs.positional('name', { type: 'string', describe: 'profile name' }),
  async run(args, ctx) {
    const name = String(args.name);
    // A broken profile can be removed: that is one way to fix it.
    const { file, store } = await writableStore(ctx, name);
    const check = (names: ReadonlySet<string>) => {
      if (!names.has(name)) throw new ConfigError(`unknown profile '${name}'${store.file ? ` in ${store.file}` : ' (no profile store found)'}`);
    };
    check(new Set([...store.profiles.keys(), ...(store.broken?.keys() ?? [])]));
    await editStore(ctx, file, { remove: [name], check });
    if (args.json) ctx.json({ file, profile: name, removed: true });
    else ctx.out(`removed profile ${name} from ${file}`);
    return 0;
  },
});
