// ~/.ssh/config and the files it includes, read as ssh reads them (never running `Match exec`),
// for HostName and Port.
import { evaluateFor, expandHostName, indexConfig, type ConfigIndex, type Evaluation } from './evaluate.js';
import { loadConfigTree, type SshConfigFile, type SshFs } from './include.js';
import { sshConfigPath } from './config-path.js';

export interface SshHost {
  /** HostName with %h and %% expanded; the alias itself when the config sets none. */
  hostName: string;
  port?: number;
}

export interface SshConfigOptions {
  homedir: string;
  fs?: SshFs;
  uid?: number | undefined;
  /** ssh's %u and `Match localuser`: the user knock runs as (shared/io.ts). */
  localUser: string;
  /** The config already read (an edit not yet written, a test's tree): no file is opened. */
  tree?: SshConfigFile;
}

export class SshConfig {
  private tree: Promise<SshConfigFile | undefined> | undefined;
  private index: Promise<ConfigIndex | undefined> | undefined;

  constructor(
    readonly file: string,
    private readonly options: SshConfigOptions,
  ) {}

  static forHome(homedir: string, uid: number | undefined, localUser: string): SshConfig {
    return new SshConfig(sshConfigPath(homedir), { homedir, uid, localUser });
  }

  private load(): Promise<SshConfigFile | undefined> {
    this.tree ??= this.options.tree ? Promise.resolve(this.options.tree) : loadConfigTree(this.file, { homedir: this.options.homedir, uid: this.options.uid, ...(this.options.fs ? { fs: this.options.fs } : {}) });
    return this.tree;
  }

  /** The tree indexed once, so that every lookup costs its own blocks, not the whole file. */
  private indexed(): Promise<ConfigIndex | undefined> {
    this.index ??= this.load().then((tree) => tree && indexConfig(tree));
    return this.index;
  }

  /** Everything ssh would apply for `alias`, or undefined without a config file. */
  async evaluate(alias: string): Promise<Evaluation | undefined> {
    const index = await this.indexed();
    return index && evaluateFor(index, alias, { localUser: this.options.localUser });
  }

  /** What ssh would connect to for `alias`, or undefined when no Host block names it. */
  async lookup(alias: string): Promise<SshHost | undefined> {
    const evaluation = await this.evaluate(alias);
    if (!evaluation) return undefined;
    const rawHost = evaluation.values.get('hostname')?.args[0];
    const rawPort = evaluation.values.get('port')?.args[0];
    if (rawHost === undefined && rawPort === undefined) return undefined;
    const host: SshHost = { hostName: rawHost === undefined ? alias : expandHostName(rawHost, alias) };
    const port = rawPort === undefined ? NaN : Number(rawPort);
    if (Number.isInteger(port) && port > 0 && port < 65536) host.port = port;
    return host;
  }

  /** The literal (wildcard-free) names of every Host block, included files too. */
  async aliases(): Promise<string[]> {
    const tree = await this.load();
    const names = new Set<string>();
    const walk = (file: SshConfigFile) => {
      for (const line of file.lines) {
        if (line.keyword === 'host') for (const name of line.args) if (!/[*?!]/.test(name)) names.add(name);
        for (const child of line.included ?? []) walk(child);
      }
    };
    if (tree) walk(tree);
    return [...names];
  }
}
