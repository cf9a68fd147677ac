import { parseKnockToken } from '../../../src/knock/tokens.js';
import { icmpLength, machineSteps, stageLists } from '../../../src/rules/stages.js';

const knocks = (...tokens: string[]) => tokens.map((t) => parseKnockToken(t));
const brief = (steps: ReturnType<typeof machineSteps>) =>
  steps.map((s) => {
    const to = (t: { stage: { stage: number } } | { opened: string }) => ('stage' in t ? `s${t.stage.stage}` : t.opened);
    if (s.kind === 'advance') return `advance s${s.from.stage} -> ${to(s.to)} on ${s.knock.protocol === 'icmp' ? 'icmp' : s.knock.port}`;
    if (s.kind === 'repeat') return `repeat s${s.at.stage} on ${s.knock.protocol === 'icmp' ? 'icmp' : s.knock.port}`;
    if (s.kind === 'reset') return `reset s${s.at.stage}`;
    return `start -> ${to(s.to)} on ${s.knock.protocol === 'icmp' ? 'icmp' : s.knock.port}`;
  });

describe('machineSteps', () => {
  test('highest stage first; each stage: advance, keep on a repeat, else reset; the first knock last', () => {
    expect(brief(machineSteps('open', knocks('7000', '8000:udp', '9000')))).toEqual([
      'advance s2 -> add on 9000',
      'repeat s2 on 8000',
      'reset s2',
      'advance s1 -> s2 on 8000',
      'repeat s1 on 7000',
      'reset s1',
      'start -> s1 on 7000',
    ]);
  });

  test('one knock: the first knock opens (or closes) at once', () => {
    expect(brief(machineSteps('close', knocks('9000')))).toEqual(['start -> remove on 9000']);
    expect(stageLists('close', knocks('9000'))).toEqual([]);
  });

  test('a knock that repeats the one before advances (before it could be taken for a repeat)', () => {
    expect(brief(machineSteps('open', knocks('7000', '7000')))).toEqual(['advance s1 -> add on 7000', 'repeat s1 on 7000', 'reset s1', 'start -> s1 on 7000']);
  });
});

test('icmpLength: payload + 28 (IPv4 + ICMP headers), + 48 (IPv6 + ICMPv6)', () => {
  expect(icmpLength(64, 4)).toBe(92);
  expect(icmpLength(64, 6)).toBe(112);
  expect(icmpLength(0, 4)).toBe(28);
});
