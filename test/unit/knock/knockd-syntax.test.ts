// knockd-syntax against a model of knockd 0.8's parse_port_sequence() (knockd.c: trim() with C
// isspace, strsep on ',' then ':', atoi(), SEQ_MAX 32), fuzzed by count with a fixed seed: every
// line knock accepts, knockd reads as the same knocks; every line knockd reads differently
// (port 0, a refused sequence), knock refuses.
import { knockdTrim, parseKnockdSequence } from '../../../src/knock/knockd-syntax.js';
import { ConfigError } from '../../../src/shared/errors.js';

const C_SPACE = ' \t\n\v\f\r';

/** knockd's atoi(): C whitespace, an optional sign, digits; the rest ignored (no overflow in these lengths). */
function atoi(text: string): number {
  let i = 0;
  while (i < text.length && C_SPACE.includes(text[i]!)) i++;
  const m = /^[+-]?[0-9]*/.exec(text.slice(i))![0];
  const n = Number(m.replace(/^\+/, '') || '0');
  return Number.isNaN(n) ? 0 : n;
}

/** parse_port_sequence() as knockd.c writes it; undefined where it returns an error. */
function knockdModel(line: string): { port: number; protocol: 'tcp' | 'udp' }[] | undefined {
  const knocks: { port: number; protocol: 'tcp' | 'udp' }[] = [];
  for (const num of line.split(',')) {
    if (knocks.length >= 32) return undefined;
    const [port, protocol] = num.split(':') as [string, string | undefined];
    const n = atoi(port);
    if (n > 65535) return undefined;
    let proto: 'tcp' | 'udp' = 'tcp';
    if (protocol !== undefined) {
      const p = knockdTrim(protocol).toUpperCase();
      if (p !== 'TCP' && p !== 'UDP') return undefined;
      proto = p === 'UDP' ? 'udp' : 'tcp';
    }
    knocks.push({ port: ((n % 65536) + 65536) % 65536, protocol: proto });
  }
  return knocks;
}

/** mulberry32: a fixed sequence for a fixed seed, so the same lines are tried on every machine. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['7000', '1', '0', '65535', '65536', '80', ',', ',', ',', ':', ':udp', ':tcp', ':UDP', ' ', '\t', '\v', '\xa0', '\u00a0', '+', '-', 'x', 'udp', '00', '\r', ''];

test('2000 generated lines: accepted only where knockd reads exactly those knocks, on ports 1-65535', () => {
  const next = random(0x6b6e6f63);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const length = 1 + Math.floor(next() * 10);
    const line = knockdTrim(Array.from({ length }, () => PIECES[Math.floor(next() * PIECES.length)]!).join(''));
    const model = knockdModel(line);
    let ours: ReturnType<typeof parseKnockdSequence> | undefined;
    try {
      ours = parseKnockdSequence(line, 'f:1');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^f:1: /);
      refused++;
      continue;
    }
    accepted++;
    expect(ours).toEqual(model);
    expect(ours.every((k) => k.protocol !== 'icmp' && k.port >= 1)).toBe(true);
  }
  // The generator reaches both sides (a run that accepted or refused everything would prove nothing).
  expect(accepted).toBeGreaterThan(50);
  expect(refused).toBeGreaterThan(100);
});

test('every line where knockd reads a port 0 or refuses the sequence is refused', () => {
  for (const line of ['7301,,7302', '7301,7302,', ',7301', '\xa09001,9002:udp', '\xa0', '0', '7000:', '7000:icmp', '70000', Array(33).fill('1').join(',')]) {
    const model = knockdModel(knockdTrim(line));
    expect(model === undefined || model.some((k) => k.port === 0)).toBe(true);
    expect(() => parseKnockdSequence(knockdTrim(line), 'f:1')).toThrow(ConfigError);
  }
});

test("knockdTrim is C's trim(): 0xA0 stays, \\v and \\f go", () => {
  expect(knockdTrim('\v\f 7000 \r\n')).toBe('7000');
  expect(knockdTrim('\xa07000\xa0')).toBe('\xa07000\xa0');
});
