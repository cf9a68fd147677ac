// ~/.ssh/config, read with ssh-config (never running `Match exec`), for HostName and Port.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type SSHConfig from 'ssh-config';
import type { LineType } from 'ssh-config';
import { ConfigError, reasonOf } from '../shared/errors.js';

export interface SshHost {
  /** HostName with %h and %% expanded; the alias itself when the config sets none. */
  hostName: string;
  port?: number;
}

export class SshConfig {
  private parsed: Promise<SSHConfig | undefined> | undefined;

  constructor(
    readonly file: string,
    private readonly read: (file: string) => Promise<string> = (f) => readFile(f, 'utf8'),
  ) {}

  static forHome(homedir: string): SshConfig {
    return new SshConfig(path.join(homedir, '.ssh', 'config'));
  }

  private load(): Promise<SSHConfig | undefined> {
    this.parsed ??= this.read(this.file).then(
      // ssh-config is loaded only when a config file is there to parse: most runs never need it.
      async (text) => {
        const { default: SSHConfigModule } = await import('ssh-config');
        try {
          return SSHConfigModule.parse(text);
        } catch (error) {
          throw new ConfigError(`${this.file}: does not parse: ${reasonOf(error)}`);
        }
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
        throw new ConfigError(`${this.file}: cannot read: ${reasonOf(error)}`);
      },
    );
    return this.parsed;
  }

  /** What ssh would connect to for `alias`, or undefined when no Host block names it. */
  async lookup(alias: string): Promise<SshHost | undefined> {
    const config = await this.load();
    if (!config) return undefined;
    const computed = config.compute(alias, { ignoreCase: true, matchExec: false });
    const rawHost = first(computed.hostname);
    const rawPort = first(computed.port);
    if (rawHost === undefined && rawPort === undefined) return undefined;
    const host: SshHost = { hostName: rawHost === undefined ? alias : expandTokens(rawHost, alias) };
    const port = rawPort === undefined ? NaN : Number(rawPort);
    if (Number.isInteger(port) && port > 0 && port < 65536) host.port = port;
    return host;
  }

  /** The literal (wildcard-free) names of every Host block. */
  async aliases(): Promise<string[]> {
    const config = await this.load();
    if (!config) return [];
    const names: string[] = [];
    for (const line of config) {
      if (line.type !== DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
      const values = Array.isArray(line.value) ? line.value.map((v) => (typeof v === 'string' ? v : v.val)) : [String(line.value)];
      for (const name of values) if (!/[*?!]/.test(name)) names.push(name);
    }
    return names;
  }
}

/** ssh-config's LineType.DIRECTIVE, without loading the module for it. */
const DIRECTIVE = 1 as LineType.DIRECTIVE;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** ssh's HostName accepts %h (the alias) and %% (a literal percent sign). */
function expandTokens(value: string, alias: string): string {
  return value.replace(/%([%h])/g, (_, c: string) => (c === 'h' ? alias : '%'));
}
