// The store's `groups:` key: a name for several profiles knocked at once (`knock @NAME`).
import { ConfigError } from '../shared/errors.js';

/** What a group name may be: it follows '@' on the command line and in completions. */
const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/** `@NAME` on the command line: a group, knocked as its profiles. */
export function isGroupTarget(target: string | undefined): boolean {
  return target !== undefined && target.startsWith('@');
}

/** A group name as given on the command line (`knock add --group`, `knock group`), or a ConfigError. */
export function checkGroupName(name: string): string {
  if (!GROUP_NAME.test(name)) throw new ConfigError(`group name '${name}' is not usable (letters, digits and _ . + -; knock it as @NAME)`);
  return name;
}

/**
 * Validates `groups: {NAME: [profile, ...]}`. Members are profile names of the same store,
 * each once; a group does not contain groups (an '@name' member is refused, not expanded).
 */
export function parseGroups(raw: unknown, profiles: { has(name: string): boolean }, where: string): Map<string, string[]> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${where}: 'groups' must be a mapping of group names to lists of profile names`);
  const groups = new Map<string, string[]>();
  for (const [name, value] of Object.entries(raw)) {
    const what = `${where}: group '${name}'`;
    if (!GROUP_NAME.test(name)) throw new ConfigError(`${what}: a group name is letters, digits and _ . + - (knock it as @NAME)`);
    if (!Array.isArray(value) || value.length === 0) throw new ConfigError(`${what}: expected a non-empty list of profile names`);
    const members: string[] = [];
    // A set, not members.includes: a group of n members is read in n steps, not n².
    const seen = new Set<string>();
    for (const member of value) {
      if (typeof member !== 'string') throw new ConfigError(`${what}: member ${JSON.stringify(member)} is not a profile name`);
      if (member.startsWith('@')) throw new ConfigError(`${what}: member '${member}' is a group; groups do not nest (list its profiles instead)`);
      if (!profiles.has(member)) throw new ConfigError(`${what}: member '${member}' is not a profile in this store`);
      if (seen.has(member)) throw new ConfigError(`${what}: member '${member}' is listed twice`);
      seen.add(member);
      members.push(member);
    }
    groups.set(name, members);
  }
  return groups;
}
