import { ConfigError } from '../../../src/shared/errors.js';
import { loadConfigTree } from '../../../src/ssh/include.js';
import { memorySshFs } from '../../helpers/fakes.js';

const opts = (fs: ReturnType<typeof memorySshFs>) => ({ homedir: '/h', uid: 1000, fs });
const names = (tree: Awaited<ReturnType<typeof loadConfigTree>>): string[] =>
  tree ? [tree.file, ...tree.lines.flatMap((l) => (l.included ?? []).flatMap((c) => names(c)))] : [];

test('relative to ~/.ssh, ~/ is home, absolute as is, nested, in glob order', async () => {
  const fs = memorySshFs({
    '/h/.ssh/config': 'Include conf.d/* ~/other /etc/abs\n',
    '/h/.ssh/conf.d/2': '',
    '/h/.ssh/conf.d/1': 'Include nested\n',
    '/h/.ssh/nested': '',
    '/h/other': '',
    '/etc/abs': '',
  });
  expect(names(await loadConfigTree('/h/.ssh/config', opts(fs)))).toEqual(['/h/.ssh/config', '/h/.ssh/conf.d/1', '/h/.ssh/nested', '/h/.ssh/conf.d/2', '/h/other', '/etc/abs']);
});

test('a missing main file is no config; a pattern matching nothing is no error', async () => {
  expect(await loadConfigTree('/h/.ssh/config', opts(memorySshFs({})))).toBeUndefined();
  expect(names(await loadConfigTree('/h/.ssh/config', opts(memorySshFs({ '/h/.ssh/config': 'Include none/*\n' }))))).toEqual(['/h/.ssh/config']);
});

test('an Include loop stops at depth 16, as ssh does', async () => {
  const fs = memorySshFs({ '/h/.ssh/config': 'Include config\n' });
  await expect(loadConfigTree('/h/.ssh/config', opts(fs))).rejects.toThrow(/more than 16 nested Includes/);
  expect(fs.reads.length).toBe(17);
});

test("a file ssh would refuse (another owner, group/world-writable) is refused, even under a Host that does not apply", async () => {
  const files = { '/h/.ssh/config': 'Host nomatch\n  Include x\n', '/h/.ssh/x': 'Host door\n  HostName 198.18.0.66\n' };
  await expect(loadConfigTree('/h/.ssh/config', opts(memorySshFs(files, { '/h/.ssh/x': { uid: 1001 } })))).rejects.toThrow(/\/h\/.ssh\/x is owned by uid 1001/);
  await expect(loadConfigTree('/h/.ssh/config', opts(memorySshFs(files, { '/h/.ssh/x': { mode: 0o646 } })))).rejects.toThrow(/writable by others \(mode 0646\)/);
  await expect(loadConfigTree('/h/.ssh/config', opts(memorySshFs(files, { '/h/.ssh/config': { mode: 0o620 } })))).rejects.toThrow(ConfigError);
  // root's files are trusted, as ssh trusts them.
  expect(names(await loadConfigTree('/h/.ssh/config', opts(memorySshFs(files, { '/h/.ssh/x': { uid: 0, mode: 0o644 } }))))).toHaveLength(2);
});

test('a FIFO or device matched by an Include is not read (it could block or never end)', async () => {
  const fs = memorySshFs({ '/h/.ssh/config': 'Include /dev/fifo\n', '/dev/fifo': '' });
  const special = { ...fs, stat: async (p: string) => ({ ...(await fs.stat(p)), isFile: () => p !== '/dev/fifo' }) };
  await expect(loadConfigTree('/h/.ssh/config', { homedir: '/h', uid: 1000, fs: special })).rejects.toThrow('/dev/fifo: not a regular file');
});
