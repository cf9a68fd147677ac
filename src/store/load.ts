// Finds and reads the profile store: --config, then $KNOCK_CONFIG, then cosmiconfig's search
// from the working directory up to home, ending at $XDG_CONFIG_HOME/knock/config.yaml.
import { cosmiconfig, type Loader } from 'cosmiconfig';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError, reasonOf } from '../shared/errors.js';
import type { Io } from '../shared/io.js';
import { parseStore, type ProfileStore } from './profiles.js';

export const MODULE_NAME = 'knock';

const SEARCH_PLACES = [
  'package.json',
  `.${MODULE_NAME}rc`,
  `.${MODULE_NAME}rc.json`,
  `.${MODULE_NAME}rc.yaml`,
  `.${MODULE_NAME}rc.yml`,
  `.config/${MODULE_NAME}rc`,
  `.config/${MODULE_NAME}rc.json`,
  `.config/${MODULE_NAME}rc.yaml`,
  `.config/${MODULE_NAME}rc.yml`,
];

/** YAML (and JSON, a subset of it) with the file and line of the first error. */
export const loadYaml: Loader = (filepath, content) => {
  try {
    return parseYaml(content, { prettyErrors: true });
  } catch (error) {
    if (error instanceof YAMLParseError) throw yamlError(filepath, error);
    throw error;
  }
};

/** A YAML error as `file:line:col: does not parse: reason`, for loading and editing alike. */
export function yamlError(file: string, error: YAMLParseError): ConfigError {
  const line = error.linePos?.[0];
  const at = line ? `:${line.line}:${line.col}` : '';
  // prettyErrors appends " at line L, column C:" and a code frame; the prefix says it already.
  const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  return new ConfigError(`${file}${at}: does not parse: ${reason}`);
}

const refuseCode: Loader = (filepath) => {
  throw new ConfigError(`${filepath}: knock reads YAML or JSON profile stores only`);
};

/** The file named by --config or $KNOCK_CONFIG, if any. */
export function explicitStorePath(configOption: string | undefined, io: Pick<Io, 'env' | 'cwd'>): string | undefined {
  const given = configOption ?? (io.env.KNOCK_CONFIG || undefined);
  return given === undefined ? undefined : path.resolve(io.cwd, given);
}

/** Where `knock add` creates a store when none exists: $XDG_CONFIG_HOME/knock/config.yaml. */
export function defaultStorePath(io: Pick<Io, 'env' | 'homedir'>): string {
  const base = io.env.XDG_CONFIG_HOME || path.join(io.homedir, '.config');
  return path.join(base, MODULE_NAME, 'config.yaml');
}

/** cosmiconfig's global place in cosmiconfig's order, so the two agree on Linux. */
const XDG_PLACES = ['config', 'config.json', 'config.yaml', 'config.yml'];

/**
 * cosmiconfig's own last stop comes from env-paths: ~/Library/Preferences on macOS, %APPDATA%
 * on Windows, and process.env rather than io.env. The store lives where `knock add` puts it.
 */
async function loadXdgStore(explorer: ReturnType<typeof cosmiconfig>, io: Io) {
  const dir = path.dirname(defaultStorePath(io));
  for (const place of XDG_PLACES) {
    const file = path.join(dir, place);
    const found = await stat(file).then((s) => s.isFile(), () => false);
    if (found) return explorer.load(file);
  }
  return null;
}

export async function findStoreFile(configOption: string | undefined, io: Io): Promise<{ file?: string; config: unknown }> {
  const explorer = cosmiconfig(MODULE_NAME, {
    searchPlaces: SEARCH_PLACES,
    mergeSearchPlaces: false,
    searchStrategy: 'global',
    stopDir: io.homedir,
    cache: false,
    loaders: {
      '.yaml': loadYaml,
      '.yml': loadYaml,
      '.json': loadYaml,
      noExt: loadYaml,
      '.js': refuseCode,
      '.cjs': refuseCode,
      '.mjs': refuseCode,
      '.ts': refuseCode,
    },
  });
  const explicit = explicitStorePath(configOption, io);
  try {
    const result = explicit ? await explorer.load(explicit) : ((await explorer.search(io.cwd)) ?? (await loadXdgStore(explorer, io)));
    return result ? { file: result.filepath, config: result.config } : { config: undefined };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (explicit && code === 'ENOENT') {
      const source = configOption !== undefined ? '--config' : 'KNOCK_CONFIG';
      throw new ConfigError(`config file not found: ${explicit} (from ${source})`);
    }
    throw new ConfigError(`${explicit ?? 'profile store'}: cannot read: ${reasonOf(error)}`);
  }
}

export async function loadStore(configOption: string | undefined, io: Io): Promise<ProfileStore> {
  const { file, config } = await findStoreFile(configOption, io);
  return parseStore(config, file);
}
