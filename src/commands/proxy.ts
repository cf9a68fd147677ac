// knock proxy HOST PORT: an ssh ProxyCommand (stdout is the connection; nothing else goes there).

import { runProxy } from '../proxy/session.js';
import { defineCommand } from './command.js';
import { portOption, secondsOption } from './options.js';

interface ProxyArgs {
  host: string;
  port: string | number;
  connectTimeout: number;
}

/** Default readiness window: knockd may run a slow command before the port opens. */
export const DEFAULT_CONNECT_TIMEOUT_S = 10;

export function parseTimeout(value: unknown, option: string): number {
  return Math.round(secondsOption(option)(value) * 1000);
}

export const proxyCommand = defineCommand<ProxyArgs>({
  examples: [
    ['ProxyCommand knock proxy %n %p', 'in ~/.ssh/config (ProxyCommand knock proxy -4 %n %p for IPv4 only)'],
  ],
  builder: (yargs) =>
    yargs
      .positional('host', { type: 'string', describe: "ssh's %n (alias) or %h (HostName): a profile name, its host, or an ssh alias" })
      .positional('port', { type: 'string', describe: "ssh's %p" })
      .option('connect-timeout', {
        type: 'string',
        default: String(DEFAULT_CONNECT_TIMEOUT_S),
        describe: 'seconds the port may take to accept after the last knock',
        requiresArg: true,
      }),
  run: (args, ctx) =>
    runProxy(ctx, {
      target: String(args.host),
      port: portOption('port')(args.port),
      connectTimeoutMs: parseTimeout(args.connectTimeout, '--connect-timeout'),
      self: ctx.io.self,
    }),
});

/** Hidden: the detached child of `proxy` that sends the close plan (its stdin) at EOF. */
export const watchdogCommand = defineCommand<object>({
  // The child's side is loaded here only: `knock proxy` itself never evaluates it.
  run: async (_args, ctx) =>
    (await import('../proxy/watchdog-run.js')).runWatchdog({
      stdin: ctx.io.stdin,
      debug: (line) => ctx.debug(line),
      execute: ctx.executeOptions(),
    }),
});
