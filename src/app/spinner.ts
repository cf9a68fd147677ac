// The one place a spinner is made: ora on stderr, loaded only when it will show (a TTY,
// not CI, not --json/-q, never in proxy mode), since importing it costs tens of ms.
import { nodeStream, type Io } from '../shared/io.js';

export interface Spinner {
  update(text: string): void;
  /** A line of its own above the spinner (a -v line), the spinner drawn again below it. */
  log(line: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

export interface SpinnerPolicy {
  json?: boolean;
  quiet?: boolean;
  /** Proxy mode: stdout is the connection and stderr is ssh's terminal; stay out of both. */
  proxy?: boolean;
}

const silent = (io: Pick<Io, 'stderr'>): Spinner => ({
  update() {},
  log: (line) => void io.stderr.write(line + '\n'),
  succeed() {},
  fail() {},
  stop() {},
});

export function spinnerWanted(io: Pick<Io, 'stderr' | 'env'>, policy: SpinnerPolicy): boolean {
  const env = io.env;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI !== 'false';
  // A terminal of width 0 (a serial console, a pty nobody sized) sends ora into an endless
  // line-clearing loop on stop: no spinner there.
  const columns = (io.stderr as { columns?: number }).columns;
  const sized = columns === undefined || columns > 0;
  return Boolean(io.stderr.isTTY) && sized && !policy.json && !policy.quiet && !policy.proxy && !ci && env.TERM !== 'dumb';
}

export async function startSpinner(io: Pick<Io, 'stderr' | 'env'>, text: string, policy: SpinnerPolicy): Promise<Spinner> {
  if (!spinnerWanted(io, policy)) return silent(io);
  let ora: typeof import('ora').default;
  try {
    ({ default: ora } = await import('ora'));
  } catch {
    return silent(io); // ora missing from an install: knock works the same, without a spinner
  }
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  const spinner = ora({
    text,
    stream: nodeStream(io.stderr),
    discardStdin: false,
    color: noColor ? false : 'cyan',
    ...(noColor ? { spinner: 'line' as const } : {}),
  }).start();
  return {
    update: (t) => {
      spinner.text = t;
    },
    log: (line) => {
      spinner.clear();
      io.stderr.write(line + '\n');
      spinner.render();
    },
    succeed: (t) => {
      spinner.succeed(t);
    },
    fail: (t) => {
      spinner.fail(t);
    },
    stop: () => {
      spinner.stop();
    },
  };
}
