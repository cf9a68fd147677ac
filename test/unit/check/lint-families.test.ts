import { jest } from '@jest/globals';
import { lintFamilies } from '../../../src/check/lint.js';
import type { Lookup } from '../../../src/knock/resolve.js';
import type { Profile } from '../../../src/store/profiles.js';

const ADDRESSES: Record<string, { 4?: string; 6?: string }> = {
  'dual.example': { 4: '198.18.0.9', 6: '2001:db8::9' },
  'v6first.example': { 6: '2001:db8::7', 4: '198.18.0.7' },
  'v4.example': { 4: '198.18.0.4' },
  'v6.example': { 6: '2001:db8::6' },
};

/** A resolver over the table above, counting what was asked: no DNS in unit tests. */
function fakeLookup() {
  const asked: string[] = [];
  const lookup: Lookup = async (host, family) => {
    asked.push(`${host}/${family}`);
    const entry = ADDRESSES[host];
    const first = host.startsWith('v6first') ? 6 : 4;
    const want = family === 0 ? (entry?.[first] ? first : first === 4 ? 6 : 4) : family;
    const address = entry?.[want];
    if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return { address, family: want };
  };
  return { asked, lookup };
}

const profile = (p: Partial<Profile>): Profile => ({ name: 'office', host: 'dual.example', open: [{ protocol: 'tcp', port: 7000 }, { protocol: 'tcp', port: 8000 }], delay: 100, seqTimeout: 25, ...p });
const hostOf = async (p: Profile) => p.host ?? p.name;

test('a host with both families and no family in the profile: a note saying both are knocked, what the door must guard, and how to pick one', async () => {
  const { lookup } = fakeLookup();
  const findings = await lintFamilies(profile({}), hostOf, lookup);
  expect(findings).toEqual([
    {
      level: 'note',
      code: 'dual-stack',
      message:
        'host "dual.example" has an IPv4 address (198.18.0.9) and an IPv6 address (2001:db8::9) and the profile sets no family: each knock goes to both, IPv4 first, ' +
        "so the server's door must guard both families (as knock rules office does: nftables and knockd in one output, iptables with its -6 half); to knock one family only, set family: 4 or 6 in the profile (knock add -4 or -6 stores it)",
    },
  ]);
  // The resolver's first family is the one knocked first.
  const [first] = await lintFamilies(profile({ host: 'v6first.example' }), hostOf, lookup);
  expect(first!.message).toContain('IPv4 address (198.18.0.7) and an IPv6 address (2001:db8::7)');
  expect(first!.message).toContain('IPv6 first');
});

test('a host with one family: nothing', async () => {
  const { lookup } = fakeLookup();
  expect(await lintFamilies(profile({ host: 'v4.example' }), hostOf, lookup)).toEqual([]);
  expect(await lintFamilies(profile({ host: 'v6.example' }), hostOf, lookup)).toEqual([]);
});

test('family set (4, 6 or both), or an SPA profile (IPv4 only): nothing, and nothing looked up', async () => {
  const { lookup, asked } = fakeLookup();
  for (const family of [4, 6, 'both'] as const) expect(await lintFamilies(profile({ family }), hostOf, lookup)).toEqual([]);
  expect(await lintFamilies(profile({ spa: {} as never }), hostOf, lookup)).toEqual([]);
  expect(asked).toEqual([]);
});

test('an address literal is one family: nothing, and no lookup', async () => {
  const { lookup, asked } = fakeLookup();
  for (const host of ['198.18.0.9', '2001:db8::9', '[2001:db8::9]']) expect(await lintFamilies(profile({ host }), hostOf, lookup)).toEqual([]);
  expect(asked).toEqual([]);
});

test('the host as a knock finds it: an ssh HostName is what is resolved', async () => {
  const { lookup, asked } = fakeLookup();
  const viaSsh = async (p: Profile) => (p.host ?? (p.name === 'office' ? 'dual.example' : p.name));
  const findings = await lintFamilies(profile({ host: undefined }), viaSsh, lookup);
  expect(findings.map((f) => f.code)).toEqual(['dual-stack']);
  expect(asked[0]).toBe('dual.example/0');
});

test('a name that does not resolve here: a note (never a warning or error), naming the reason', async () => {
  const { lookup } = fakeLookup();
  expect(await lintFamilies(profile({ host: 'vpn.internal' }), hostOf, lookup)).toEqual([
    { level: 'note', code: 'not-resolved', message: "cannot resolve 'vpn.internal': no address found: not checked for a host with both address families (a knock resolves it again when it runs)" },
  ]);
  // A profile with no host and no HostName: the note says that is what is resolved.
  const [bare] = await lintFamilies(profile({ name: 'gate', host: undefined }), hostOf, lookup);
  expect(bare).toMatchObject({ level: 'note', code: 'not-resolved' });
  expect(bare!.message).toContain("cannot resolve 'gate': no address found (the profile has no host, and the ssh config gives it no HostName)");
  // The ssh config failing to give the host is a note too.
  const [ssh] = await lintFamilies(profile({ host: undefined }), async () => { throw new Error('knock: ~/.ssh/config: cannot be read'); }, lookup);
  expect(ssh).toMatchObject({ level: 'note', code: 'not-resolved' });
});

test('a resolver that never answers: a note after the timeout, not a hang', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  try {
    const never: Lookup = () => new Promise(() => {});
    const pending = lintFamilies(profile({}), hostOf, never);
    await jest.advanceTimersByTimeAsync(5000);
    const findings = await pending;
    expect(findings).toEqual([expect.objectContaining({ level: 'note', code: 'not-resolved', message: expect.stringContaining('no answer within 5 s') })]);
  } finally {
    jest.useRealTimers();
  }
});

test('a hostile host (a control character) is lintProfile\'s error, never looked up', async () => {
  const { lookup, asked } = fakeLookup();
  expect(await lintFamilies(profile({ host: 'a\nb' }), hostOf, lookup)).toEqual([]);
  expect(asked).toEqual([]);
});
