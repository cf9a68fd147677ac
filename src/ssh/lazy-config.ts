// ~/.ssh/config as the Context holds it: the reader (and its modules) is loaded on the first
// lookup, which a knock to a profile by its own name never makes.
import type { SshConfig } from './config.js';
import { sshConfigPath } from './config-path.js';

/** What commands ask of the ssh config. */
export type SshLookup = Pick<SshConfig, 'file' | 'lookup' | 'evaluate' | 'aliases'>;

/** `localUser` is asked for on the first lookup too (the passwd entry: a knock to a profile needs none). */
export function lazySshConfig(homedir: string, uid: number | undefined, localUser: () => string): SshLookup {
  let real: Promise<SshConfig> | undefined;
  const config = () => (real ??= import('./config.js').then(({ SshConfig }) => SshConfig.forHome(homedir, uid, localUser())));
  return {
    file: sshConfigPath(homedir),
    lookup: async (alias) => (await config()).lookup(alias),
    evaluate: async (alias) => (await config()).evaluate(alias),
    aliases: async () => (await config()).aliases(),
  };
}
