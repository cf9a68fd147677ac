// The process's side of the world, passed in so that commands can be run with fakes.
import os from 'node:os';

export interface OutStream {
  write(chunk: string | Uint8Array): boolean;
  isTTY?: boolean;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  homedir: string;
  platform: NodeJS.Platform;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    homedir: process.env.HOME || os.homedir(),
    platform: process.platform,
  };
}
