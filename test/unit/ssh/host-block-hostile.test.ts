// Hostile values in a Host block: ssh -G (when installed) is the judge of what ssh reads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkHostBlock, renderHostBlock, sshPercentEscape, type HostBlock } from '../../../src/ssh/host-block.js';
import { ConfigError } from '../../../src/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'knock-hb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let ssh = true;
try { execFileSync('ssh', ['-V'], { stdio: 'ignore' }); } catch { ssh = false; }

/** What ssh -G reads for the alias from a file holding only `text`, as key -> values. */
function sshReads(text: string, alias: string): Map<string, string[]> {
  const file = join(dir, 'config');
  writeFileSync(file, text);
  const out = execFileSync('ssh', ['-G', '-F', file, alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const seen = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const [key = '', ...rest] = line.split(' ');
    if (key) seen.set(key, [...(seen.get(key) ?? []), rest.join(' ')]);
  }
  return seen;
}

const injected = '198.18.88.2\n  PermitLocalCommand yes\n  LocalCommand touch /tmp/pwned';

test('a host with a newline cannot add directives (LocalCommand): refused before writing', () => {
  const block: HostBlock = { alias: 'p', hostName: injected, proxyCommand: 'knock proxy %n %p' };
  expect(() => renderHostBlock(block)).toThrow(ConfigError);
  expect(() => renderHostBlock(block)).toThrow(/not a host name or address/);
});

test("a '%h' in knock's path is doubled, so ssh passes it to the shell as written", () => {
  const cmd = `${sshPercentEscape('/opt/%h/knock')} proxy %n %p`;
  expect(cmd).toBe('/opt/%%h/knock proxy %n %p');
  if (!ssh) return;
  // ssh -G prints ProxyCommand before expansion; the expansion is what ssh runs: %% becomes %.
  const seen = sshReads(renderHostBlock({ alias: 'p', hostName: '198.18.88.2', proxyCommand: cmd }), 'p');
  expect(seen.get('proxycommand')).toEqual([cmd]);
});

test('a link-local zone reaches ssh as one HostName, its % not a token', () => {
  const text = renderHostBlock({ alias: 'p', hostName: 'fe80::1%eth0', proxyCommand: 'k proxy %n %p' });
  expect(text).toContain('HostName fe80::1%%eth0');
  if (ssh) expect(sshReads(text, 'p').get('hostname')).toEqual(['fe80::1%eth0']);
});

const hostile = fc.string({ unit: fc.constantFrom('a', '1', '.', '-', ':', ' ', '\t', '\n', '\r', '"', "'", '#', '%', 'h', '=', '*', '?', '!', ',', '\0', '\u00a0', '\\'), minLength: 1, maxLength: 12 });
const plain = fc.string({ unit: fc.constantFrom('a', 'b', '1', '.', '-', ':'), minLength: 1, maxLength: 12 });
const nasty = fc.oneof(plain, hostile, fc.tuple(plain, hostile).map(([a, b]) => a + b));

test('fuzz: every block knock renders is read back by ssh -G as exactly its values, or is refused', () => {
  let rendered = 0;
  fc.assert(
    fc.property(nasty, nasty, (alias, hostName) => {
      const block: HostBlock = { alias, hostName, port: 2222, proxyCommand: 'k proxy %n %p' };
      try {
        checkHostBlock(block);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect(() => renderHostBlock(block)).toThrow(ConfigError);
        return;
      }
      rendered++;
      const text = renderHostBlock(block);
      if (!ssh) return;
      const seen = sshReads(text, alias);
      const read = seen.get('hostname') ?? [];
      expect(read).toHaveLength(1);
      // ssh lowercases host names and writes inet_aton forms ('1') dotted; anything else as written.
      if (!/^[0-9.]+$/.test(hostName)) expect(read[0]).toBe(hostName.toLowerCase());
      expect(seen.get('port')).toEqual(['2222']);
      expect(seen.get('proxycommand')).toEqual(['k proxy %n %p']);
      expect(seen.has('localcommand')).toBe(false);
    }),
    { numRuns: 300, seed: 22 },
  );
  expect(rendered).toBeGreaterThan(0);
});
