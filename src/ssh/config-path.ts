// Where a user's ssh config is: one place for the reader and for the lazy stand-in of it.
import path from 'node:path';

export const sshConfigPath = (homedir: string): string => path.join(homedir, '.ssh', 'config');
