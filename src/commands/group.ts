// knock group add|remove GROUP PROFILE...: edits the store's `groups:` (what `knock @GROUP` knocks).
import { ConfigError, UsageError } from '../shared/errors.js';
import { editStore, writableStore } from '../app/writable-store.js';
import { checkGroupName } from '../store/groups.js';
import { nearest } from '../shared/suggest.js';
import { defineCommand } from './command.js';

interface GroupArgs {
  action: string;
  group: string;
  profiles: string[];
}

export const groupCommand = defineCommand<GroupArgs>({
  examples: [
    ['knock group add all office db', 'office and db join @all (created if needed)'],
    ['knock group remove all db', 'db leaves @all (a group left empty goes)'],
  ],
  builder: (yargs) =>
    yargs
      .positional('action', { type: 'string', choices: ['add', 'remove'], describe: 'add or remove' })
      .positional('group', { type: 'string', describe: 'the group, with or without its @' })
      .positional('profiles', { type: 'string', array: true, describe: 'profile names' }),
  async run(args, ctx) {
    const group = checkGroupName(String(args.group).replace(/^@/, ''));
    const names = [...new Set(args.profiles.map(String))];
    const store = await writableStore(ctx);
    const { file } = store;
    const members = store.groups?.get(group) ?? [];
    const known = [...store.names];
    if (args.action === 'add') {
      for (const name of names) {
        if (known.includes(name)) continue;
        const guess = nearest(name, known);
        throw new ConfigError(`unknown profile '${name}' in ${file}${guess ? `; did you mean ${guess}?` : ''}`);
      }
    } else {
      if (!store.groups?.has(group)) throw new ConfigError(`unknown group '@${group}' in ${file}`);
      const missing = names.find((n) => !members.includes(n));
      if (missing !== undefined) throw new UsageError(`${missing} is not in group ${group} (members: ${members.join(', ')})`);
    }
    // Checked again under the edit lock: a profile removed meanwhile makes the store refuse the group.
    const change = args.action === 'add' ? { add: names } : { remove: names };
    await editStore(ctx, store, { groups: [[group, change]] });
    const after = args.action === 'add' ? [...members, ...names.filter((n) => !members.includes(n))] : members.filter((m) => !names.includes(m));
    if (args.json) ctx.json({ file, group, members: after });
    else ctx.out(after.length > 0 ? `@${group}: ${after.join(' ')} (in ${file})` : `removed group @${group} from ${file} (no members left)`);
    return 0;
  },
});
