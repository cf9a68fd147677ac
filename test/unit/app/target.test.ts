// prepareTarget: from what the user typed to validated, resolved plans, with fakes for the
// resolver and the interfaces; nothing here sends or resolves for real.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Context, type GlobalArgs } from '../../../src/app/context.js';
import { prepareTarget } from '../../../src/app/target.js';
import { ConfigError, RuntimeError, UsageError } from '../../../src/shared/errors.js';
import type { Lookup } from '../../../src/knock/resolve.js';
import { fakeIo } from '../../helpers/fakes.js';

const STORE = `profiles:
  office:
    host: gw.example
    open: [7000, 8000:udp, 9000]
    close: [9000, 7000]
    delay: 50
  noclose:
    host: 198.18.0.7
    open: [1, 2]
  group-host:
    host: 224.0.0.1
    open: [1, 2]
`;

/** gw.example has both families; v4only.example only IPv4. */
const lookup: Lookup = async (host, family) => {
  const v4 = { address: '198.18.0.2', family: 4 as const };
  const v6 = { address: '2001:db8::2', family: 6 as const };
  if (host === 'gw.example') return family === 6 ? v6 : v4;
  if (host === 'v4only.example' && family !== 6) return v4;
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const interfaces = () => ({
  lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '', cidr: null }],
  eth0: [{ address: '198.18.0.1', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '', cidr: null }],
}) as never;

const ios: { cleanup(): void }[] = [];
afterAll(() => ios.forEach((io) => io.cleanup()));

function context(args: GlobalArgs = {}): Context {
  const io = fakeIo();
  ios.push(io);
  mkdirSync(path.join(io.homedir, '.config', 'knock'), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(io.homedir, '.config', 'knock', 'config.yaml'), STORE, { mode: 0o600 });
  return new Context(io, args, { lookup, interfaces });
}

test('ad hoc: the knocks as given, bare ports TCP (UDP with -u), a gap of 0 unless -d', async () => {
  const tcp = await prepareTarget(context(), { target: '198.18.0.9', action: 'open', tokens: ['1', '2:udp'] });
  expect(tcp.plans).toHaveLength(1);
  expect(tcp.plan).toMatchObject({ address: '198.18.0.9', family: 4, host: '198.18.0.9' });
  expect(tcp.plan.knocks.map((k) => [k.protocol, k.offsetMs])).toEqual([['tcp', 0], ['udp', 0]]);
  const udp = await prepareTarget(context(), { target: '198.18.0.9', action: 'open', tokens: ['1', '2:tcp'], udp: true, delay: 30 });
  expect(udp.plan.knocks.map((k) => [k.protocol, k.offsetMs])).toEqual([['udp', 0], ['tcp', 30]]);
  expect(udp.delay).toBe(30);
});

test('a profile: its sequence and delay; close needs a close sequence; a dual-stack host gives a plan per family', async () => {
  const open = await prepareTarget(context(), { target: 'office', action: 'open' });
  expect(open.dualStack).toBe(true);
  expect(open.plans.map((p) => p.address)).toEqual(['198.18.0.2', '2001:db8::2']);
  expect(open.plan.knocks.map((k) => k.offsetMs)).toEqual([0, 50, 100]);
  const close = await prepareTarget(context({ '4': true }), { target: 'office', action: 'close' });
  expect(close.plans.map((p) => p.address)).toEqual(['198.18.0.2']);
  expect(close.dualStack).toBeUndefined();
  expect(close.plan.knocks).toHaveLength(2);
  await expect(prepareTarget(context(), { target: 'noclose', action: 'close' })).rejects.toThrow(/profile 'noclose' has no close sequence in .*config\.yaml/);
});

test('refused before anything is sent: no target, close with knocks, an unknown profile, a host that is not one host, a zone and a source not here', async () => {
  await expect(prepareTarget(context(), { target: '', action: 'open' })).rejects.toBeInstanceOf(UsageError);
  await expect(prepareTarget(context(), { target: '198.18.0.9', action: 'close', tokens: ['1'] })).rejects.toBeInstanceOf(UsageError);
  await expect(prepareTarget(context(), { target: 'ofice', action: 'open' })).rejects.toThrow(/unknown profile 'ofice'.*did you mean office\?/);
  await expect(prepareTarget(context(), { target: 'group-host', action: 'open' })).rejects.toThrow(/224\.0\.0\.1' is a multicast address/);
  await expect(prepareTarget(context(), { target: 'ff02::1', action: 'open', tokens: ['1'] })).rejects.toBeInstanceOf(ConfigError);
  await expect(prepareTarget(context(), { target: 'fe80::1%eth7', action: 'open', tokens: ['1'] })).rejects.toThrow("no interface 'eth7' on this machine (interfaces: lo, eth0)");
  await expect(prepareTarget(context(), { target: '198.18.0.9', action: 'open', tokens: ['1'], source: '198.18.9.9' })).rejects.toBeInstanceOf(RuntimeError);
  const sourced = await prepareTarget(context(), { target: '198.18.0.9', action: 'open', tokens: ['1'], source: 'eth0' });
  expect(sourced.plan.source).toBe('198.18.0.1');
  await expect(prepareTarget(context({ '6': true }), { target: 'v4only.example', action: 'open', tokens: ['1'] })).rejects.toBeInstanceOf(RuntimeError);
});

test('a zone given as an interface index: knocked through that interface, named in the plan; one naming none refused before any lookup', async () => {
  const io = fakeIo();
  ios.push(io);
  const looked: string[] = [];
  const counting: Lookup = async (host, family) => {
    looked.push(host);
    return lookup(host, family);
  };
  const ctx = new Context(io, {}, { lookup: counting, interfaces, interfaceIndex: (name) => ({ lo: 1, eth0: 2 })[name] });
  const scoped = await prepareTarget(ctx, { target: 'fe80::2%2', action: 'open', tokens: ['1'] });
  expect(scoped.plan).toMatchObject({ address: 'fe80::2%eth0', family: 6 });
  const named = await prepareTarget(ctx, { target: 'fe80::2%eth0', action: 'open', tokens: ['1'] });
  expect(named.plan.address).toBe('fe80::2%eth0');
  await expect(prepareTarget(ctx, { target: 'fe80::2%3', action: 'open', tokens: ['1'] })).rejects.toThrow('no interface with index 3 on this machine (interfaces: lo 1, eth0 2)');
  await expect(prepareTarget(ctx, { target: 'fe80::2%', action: 'open', tokens: ['1'] })).rejects.toBeInstanceOf(ConfigError);
  await expect(prepareTarget(ctx, { target: 'fe80::2%%', action: 'open', tokens: ['1'] })).rejects.toBeInstanceOf(ConfigError);
  expect(looked).toEqual([]);
});
