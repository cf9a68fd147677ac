// knock remove NAME: deletes a profile from the store it lives in.
import { ConfigError } from '../shared/errors.js';
import { writableStore } from '../app/writable-store.js';
import { writeStore } from '../store/write.js';
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
    const { file, store } = await writableStore(ctx);
    if (!store.profiles.has(name)) throw new ConfigError(`unknown profile '${name}'${store.file ? ` in ${store.file}` : ' (no profile store found)'}`);
    await writeStore(file, { remove: [name] });
    if (args.json) ctx.json({ file, profile: name, removed: true });
    else ctx.out(`removed profile ${name} from ${file}`);
    return 0;
  },
});
