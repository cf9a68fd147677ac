// One line per knock serve event: readable text, or (with --json) one JSON object.
import type { ServeEvent } from './session.js';

const RESET_REASONS = {
  timeout: 'seq_timeout passed',
  'wrong-knock': 'knock out of turn',
  evicted: 'too many sources in progress, the oldest dropped',
} as const;

export function formatEventText(e: ServeEvent): string {
  const t = e.time;
  switch (e.event) {
    case 'listening':
      return `${t} listening on ${e.bind}: ${e.ports.join(' ')}${e.guard ? `; guard ${e.guard}` : ''}`;
    case 'knock':
      return `${t} knock ${e.src} ${e.proto}/${e.port} ${e.door === null ? '(no sequence advanced)' : `${e.door} ${e.stage}/${e.of}`}`;
    case 'reset':
      return `${t} reset ${e.src} ${e.door} at stage ${e.stage}: ${RESET_REASONS[e.reason]}`;
    case 'open':
      return `${t} open ${e.src}${e.door === 'open' ? '' : ` [${e.door}]`}`;
    case 'close':
      return `${t} close ${e.src}${e.door === 'close' ? '' : ` [${e.door}]`}${'reason' in e ? ' (cmd_timeout)' : ''}`;
    case 'command':
      return `${t} command ${e.src} ${e.action} of ${e.door} exited ${e.code}: ${e.command}`;
    case 'guard':
      return `${t} guard ${e.src} ${e.allowed ? 'allowed' : 'denied'}${e.error ? `: ${e.error}` : ''}`;
  }
}
