import { COMMAND_NAMES } from '../../../src/app/command-names.js';
import { commands } from '../../../src/commands/index.js';
import { commandNames } from '../../../src/cli/completion.js';

test("COMMAND_NAMES is every visible command's name and alias in commands/index.ts, rules included", () => {
  const visible = commands.filter((c) => c.describe !== false).flatMap(commandNames);
  expect([...COMMAND_NAMES].sort()).toEqual([...visible].sort());
  expect(COMMAND_NAMES).toContain('rules');
});
