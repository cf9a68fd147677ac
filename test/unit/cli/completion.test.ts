import { commands } from '../../../src/commands/index.js';
import { completeWords } from '../../../src/cli/completion.js';
import type { ProfileStore } from '../../../src/store/profiles.js';

const store: ProfileStore = {
  file: '/h/.config/knock/config.yaml',
  profiles: new Map(['web', 'db', 'office'].map((name) => [name, { name, open: [{ protocol: 'tcp' as const, port: 1 }], delay: 100, seqTimeout: 25 }])),
};
let reads = 0;
const complete = (...words: string[]) =>
  completeWords({
    words: ['knock', ...words],
    commands,
    globalFlags: ['--config', '--json', '--quiet', '-q', '--verbose', '-v'],
    store: async () => {
      reads++;
      return store;
    },
  });

describe('completeWords', () => {
  beforeEach(() => (reads = 0));

  it('offers subcommands and profile names for the first word', async () => {
    const all = await complete('');
    expect(all).toEqual(expect.arrayContaining(['open', 'close', 'list', 'add', 'remove', 'show', 'import', 'lint', 'completion', 'web', 'db', 'office']));
    expect(all).not.toContain('$0');
    expect(await complete('o')).toEqual(['open', 'office']);
  });

  it('offers profile names after a subcommand that takes one', async () => {
    expect(await complete('open', '')).toEqual(['db', 'office', 'web']);
    expect(await complete('-v', 'show', 'w')).toEqual(['web']);
    expect(await complete('--config', 'x.yaml', 'lint', '')).toEqual(['db', 'office', 'web']);
    expect(await complete('open', 'web', '')).toEqual([]);
    expect(await complete('ssh-config', '')).toEqual(['db', 'office', 'web']);
    expect(await complete('serve', '--bind', '127.0.0.2', 'o')).toEqual(['office']);
    expect(await complete('proxy', '--connect-timeout', '5', 'd')).toEqual(['db']);
  });

  it('knock group: add or remove, then the group, then profile names', async () => {
    expect(await complete('group', '')).toEqual(['add', 'remove']);
    expect(await complete('group', 'add', '')).toEqual([]); // this store has no groups yet
    expect(await complete('group', 'add', 'all', 'w')).toEqual(['web']);
    expect(await complete('group', 'add', 'all', 'web', '')).toEqual(['db', 'office']);
  });

  it('does not read the store where no profile fits', async () => {
    expect(await complete('add', '')).toEqual([]);
    expect(await complete('import', '')).toEqual([]);
    expect(await complete('web', '7000', '')).toEqual([]);
    expect(reads).toBe(0);
  });

  it("offers the command's own options and the global ones", async () => {
    expect(await complete('add', 'n', 'h', '1', '--f')).toEqual(['--force']);
    expect(await complete('lint', '--p')).toEqual(['--probe']);
    expect(await complete('--j')).toEqual(['--json']);
    expect(await complete('-')).toEqual(expect.arrayContaining(['--dry-run', '-n', '--udp', '--delay', '--config']));
    expect(await complete('open', '--')).not.toContain('--target');
  });

  it('offers the formats after rules --format (or -f), and the families after --family', async () => {
    expect(await complete('rules', 'web', '--format', '')).toEqual(['iptables', 'nftables', 'knockd', 'puppet', 'fwknopd']);
    expect(await complete('rules', 'web', '-f', 'n')).toEqual(['nftables']);
    expect(await complete('rules', 'web', '--family', '')).toEqual(['4', '6']);
    expect(await complete('rules', '')).toEqual(['db', 'office', 'web']);
    expect(await complete('rules', 'web', '--format', 'knockd', '')).toEqual([]);
  });

  it('offers the shells after completion', async () => {
    expect(await complete('completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes nothing (not an error) when the store is broken', async () => {
    const words = await completeWords({ words: ['knock', 'open', ''], commands, globalFlags: [], store: () => Promise.reject(new Error('bad')) });
    expect(words).toEqual([]);
  });
});
