import { RuntimeError, UsageError } from '../../../src/shared/errors.js';
import { resolveHost, type Lookup } from '../../../src/knock/resolve.js';

const never: Lookup = () => new Promise(() => {});
const notFound: Lookup = async () => {
  throw Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' });
};

describe('resolveHost', () => {
  test('literals are not looked up', async () => {
    expect(await resolveHost('198.18.0.2', 0, never)).toEqual({ address: '198.18.0.2', family: 4 });
    expect(await resolveHost('2001:db8::2', 0, never)).toEqual({ address: '2001:db8::2', family: 6 });
    expect(await resolveHost('[2001:db8::2]', 6, never)).toEqual({ address: '2001:db8::2', family: 6 });
    expect(await resolveHost('198.18.0.2', 4, never)).toEqual({ address: '198.18.0.2', family: 4 });
  });

  test('-4 with an IPv6 literal, -6 with an IPv4 one', async () => {
    // The line contradicts itself: a usage error (exit 2), not a failure of the network.
    await expect(resolveHost('::1', 4, never)).rejects.toThrow(new UsageError("'::1' is an IPv6 address but -4 was given"));
    await expect(resolveHost('127.0.0.1', 6, never)).rejects.toThrow("is an IPv4 address but -6 was given");
  });

  test('-6 for a name with IPv4 only: says what the name has, not the resolver error of the -6 query', async () => {
    const v4only: Lookup = async (_host, family) => {
      if (family === 6) throw Object.assign(new Error('getaddrinfo EAI_AGAIN box'), { code: 'EAI_AGAIN' });
      return { address: '198.18.0.5', family: 4 };
    };
    await expect(resolveHost('box', 6, v4only)).rejects.toThrow(new RuntimeError("cannot resolve 'box': it has no IPv6 address (only IPv4 198.18.0.5), but -6 was given"));
  });

  test('a name is looked up once, with the family asked for', async () => {
    const calls: unknown[] = [];
    const lookup: Lookup = async (host, family) => {
      calls.push([host, family]);
      return { address: '2001:db8::2', family: 6 };
    };
    expect(await resolveHost('box.example', 6, lookup)).toEqual({ address: '2001:db8::2', family: 6 });
    expect(calls).toEqual([['box.example', 6]]);
  });

  test('not found', async () => {
    await expect(resolveHost('x.invalid', 0, notFound)).rejects.toThrow(new RuntimeError("cannot resolve 'x.invalid': no address found"));
    await expect(resolveHost('x.invalid', 6, notFound)).rejects.toThrow("cannot resolve 'x.invalid': no IPv6 address found");
  });

  test('a lookup that never answers times out', async () => {
    const error = await resolveHost('slow.example', 0, never, 30).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as Error).message).toBe("cannot resolve 'slow.example': no answer within 0.03 s");
  });

  test('other failures keep their code', async () => {
    const failing: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN box'), { code: 'EAI_AGAIN' });
    };
    await expect(resolveHost('box', 0, failing)).rejects.toThrow("cannot resolve 'box': getaddrinfo EAI_AGAIN box");
  });
});

describe('a name longer than DNS allows is refused before any lookup', () => {
  const never = async () => {
    throw new Error('looked up');
  };
  test.each([
    ['a'.repeat(254), /254 characters \(a DNS name has at most 253\)/],
    [`${'b'.repeat(64)}.example`, /a label of 64 characters \(at most 63\)/],
    ['gate..example', /an empty label/],
    ['.example', /an empty label/],
  ])('%#', async (host, why) => {
    await expect(resolveHost(host, 0, never)).rejects.toThrow(why);
  });
  test('names at the limits still go to the resolver (a trailing dot too)', async () => {
    const seen: string[] = [];
    const lookup = async (host: string) => (seen.push(host), { address: '198.18.0.2', family: 4 as const });
    const limit = ['c'.repeat(63), 'd'.repeat(63), 'e'.repeat(63), 'f'.repeat(61)].join('.');
    expect(limit.length).toBe(253);
    await resolveHost(limit, 0, lookup);
    await resolveHost('gate.example.', 0, lookup);
    expect(seen).toEqual([limit, 'gate.example.']);
  });
});
