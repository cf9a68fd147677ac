// The profiles the pinned texts in test/fixtures/rules/ were made from (as in a store file).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseProfile, type Profile } from '../../src/store/profiles.js';
import { ROOT } from './run-knock.js';

const RAW: Record<string, unknown> = {
  mini: { open: [7000, 8000] },
  office: { host: 'gate.example.com', port: 22, open: [7000, '8000:udp', 'icmp:64'], close: [9000], seq_timeout: 5, open_for: 30 },
  web: { host: '2001:db8::7', port: 443, open: [7000, '8000:udp', 9000], close: [9000, '8000:udp', 7000], seq_timeout: 2.5, open_for: 10 },
};

export const VERSION = '0.1.0';

export function profile(name: keyof typeof RAW & string, patch: Record<string, unknown> = {}): Profile {
  return parseProfile(name, { ...(RAW[name] as object), ...patch }, 'test');
}

export function fixture(name: string): string {
  return readFileSync(path.join(ROOT, 'test', 'fixtures', 'rules', name), 'utf8');
}
