// The command line fuzzed, by count with a fixed seed (see test/helpers/argv-fuzz.ts): whatever
// the words and the environment, knock ends by itself, never with exit 70 or a stack trace, an
// error is one `knock: ...` line, a usage error exits 2, and where stdout or stderr cannot be
// written the exit code is the one it would have been (or 1 for output that was lost).
//
// To hunt rather than guard, run many more cases, other seeds, two at a time:
//   KNOCK_FUZZ_CASES=5000 KNOCK_FUZZ_SEED=7 KNOCK_FUZZ_JOBS=2 node --experimental-vm-modules \
//     node_modules/jest/bin/jest.js test/e2e/argv-fuzz.test.ts --selectProjects e2e
// and KNOCK_FUZZ_ONLY=INDEX (with the same seed) to replay one case.
import { describeCase, HANG_MS, makeCase, problems, readGrammar, runCase, sandbox, type Case, type Outcome } from '../helpers/argv-fuzz.js';

const SEED = Number(process.env.KNOCK_FUZZ_SEED ?? 20261202);
const CASES = Number(process.env.KNOCK_FUZZ_CASES ?? 300);
const JOBS = Math.max(1, Number(process.env.KNOCK_FUZZ_JOBS ?? 1));
const ONLY = process.env.KNOCK_FUZZ_ONLY === undefined ? undefined : Number(process.env.KNOCK_FUZZ_ONLY);

const box = sandbox();
const fuzz = 'prefix' in box ? test : test.skip;
if (!('prefix' in box)) console.log(`argv fuzz skipped: ${box.reason}; it sends only inside a namespace of its own`);

fuzz(`argv fuzz: ${CASES} cases (seed ${SEED}) end by themselves, never exit 70 or a stack, one line per error, usage exits 2`, async () => {
  const prefix = (box as { prefix: string[] }).prefix;
  const grammar = await readGrammar();
  const indexes = ONLY === undefined ? Array.from({ length: CASES }, (_, i) => i) : [ONLY];
  const figures = { cases: 0, exit0: 0, exit1: 0, exit2: 0, usage: 0, served: 0, twins: 0, failed: 0 };
  const failures: string[] = [];
  const runOne = async (c: Case): Promise<void> => {
    const outcome = await runCase(c, prefix);
    let twin: Outcome | undefined;
    if (c.stdout !== 'pipe' || c.stderr !== 'pipe') {
      twin = await runCase(c, prefix, { stdout: 'pipe', stderr: 'pipe' });
      figures.twins++;
    }
    figures.cases++;
    if (outcome.stopped) figures.served++;
    else if (outcome.code === 0 || outcome.code === 1 || outcome.code === 2) figures[`exit${outcome.code}`]++;
    if (c.usage) figures.usage++;
    if (process.env.KNOCK_FUZZ_DEBUG) process.stderr.write(`#${c.index} ${outcome.code} ${JSON.stringify(c.argv).slice(0, 150)} :: ${outcome.stderr.split('\n')[0]!.slice(0, 150)}\n`);
    const found = problems(c, outcome, twin);
    if (found.length > 0) {
      figures.failed++;
      failures.push(`${found.join('; ')}\n  ${describeCase(c)}\n  exit ${outcome.code} ${outcome.signal ?? ''} stderr: ${JSON.stringify(outcome.stderr.slice(0, 600))}`);
      // As found, so that a long hunt shows its finds before it ends.
      process.stderr.write(`argv fuzz failure: ${failures.at(-1)}\n`);
    }
  };
  const queue = indexes.map((i) => makeCase(grammar, SEED, i));
  await Promise.all(
    Array.from({ length: JOBS }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) await runOne(c);
    }),
  );
  process.stderr.write(
    `argv fuzz (seed ${SEED}): cases ${figures.cases} / exit 0 ${figures.exit0} / exit 1 ${figures.exit1} / exit 2 ${figures.exit2} / built as usage errors ${figures.usage} / serve stopped ${figures.served} / rerun on pipes ${figures.twins} / failed ${figures.failed}\n`,
  );
  expect(failures).toEqual([]);
  expect(figures.cases).toBe(indexes.length);
  if (ONLY === undefined) {
    // The grammar reaches every outcome, or it proves less than it claims.
    for (const key of ['exit0', 'exit1', 'exit2', 'usage', 'twins'] as const) expect({ [key]: figures[key] > 0 }).toEqual({ [key]: true });
  }
}, (CASES * 2 * HANG_MS) / JOBS + 60_000);
