import { countKnocks, formatPlan, planDurationMs, planToJson, scheduleKnocks, type KnockPlan } from '../../../src/knock/plan.js';

describe('scheduleKnocks', () => {
  test('offsets are absolute: the sum of the delays before each knock', () => {
    const planned = scheduleKnocks(
      [
        { protocol: 'tcp', port: 1 },
        { protocol: 'udp', port: 2 },
        { protocol: 'icmp', size: 8 },
        { protocol: 'tcp', port: 4 },
      ],
      100,
    );
    expect(planned.map((k) => k.offsetMs)).toEqual([0, 100, 200, 300]);
  });

  test("a knock's own delay is the gap after it", () => {
    const planned = scheduleKnocks(
      [
        { protocol: 'tcp', port: 1 },
        { protocol: 'udp', port: 2, delay: 500 },
        { protocol: 'tcp', port: 3, delay: 0 },
        { protocol: 'tcp', port: 4 },
        { protocol: 'tcp', port: 5, delay: 7 },
      ],
      100,
    );
    expect(planned.map((k) => k.offsetMs)).toEqual([0, 100, 600, 600, 700]);
  });

  test('delay 0 and the empty plan', () => {
    expect(scheduleKnocks([{ protocol: 'tcp', port: 1 }, { protocol: 'tcp', port: 2 }], 0).map((k) => k.offsetMs)).toEqual([0, 0]);
    expect(scheduleKnocks([], 10)).toEqual([]);
    expect(planDurationMs({ knocks: [] })).toBe(0);
  });
});

const plan: KnockPlan = {
  action: 'open',
  profile: 'box',
  target: 'box',
  host: 'box.example',
  address: '198.18.0.2',
  family: 4,
  seqTimeout: 10,
  knocks: scheduleKnocks([{ protocol: 'tcp', port: 7000 }, { protocol: 'udp', port: 8000 }, { protocol: 'icmp', size: 64 }], 50),
};

test('formatPlan shows the address and every knock with its offset', () => {
  expect(formatPlan(plan)).toBe(
    [
      'open box: box.example -> 198.18.0.2 (IPv4), 3 knocks over 100 ms',
      '   1. +    0 ms  7000        tcp 7000',
      '   2. +   50 ms  8000:udp    udp 8000',
      '   3. +  100 ms  icmp:64     icmp echo, 64 bytes',
      '',
    ].join('\n'),
  );
});

test('an ad-hoc plan names the target once on the way to the address', () => {
  const adHoc = { ...plan, profile: undefined, target: '198.18.0.2', host: '198.18.0.2', knocks: plan.knocks.slice(0, 1) } as KnockPlan;
  expect(formatPlan(adHoc).split('\n')[0]).toBe('ad-hoc knocks: 198.18.0.2 (IPv4), 1 knock over 0 ms');
  const viaAlias = { ...adHoc, target: 'box' };
  expect(formatPlan(viaAlias).split('\n')[0]).toBe('ad-hoc knocks: box -> 198.18.0.2 (IPv4), 1 knock over 0 ms');
});

test('planToJson', () => {
  expect(planToJson(plan)).toEqual({
    action: 'open',
    profile: 'box',
    target: 'box',
    host: 'box.example',
    address: '198.18.0.2',
    family: 4,
    seqTimeout: 10,
    knocks: [
      { token: '7000', protocol: 'tcp', port: 7000, offsetMs: 0 },
      { token: '8000:udp', protocol: 'udp', port: 8000, offsetMs: 50 },
      { token: 'icmp:64', protocol: 'icmp', size: 64, offsetMs: 100 },
    ],
  });
});

test('countKnocks', () => {
  expect([0, 1, 2].map(countKnocks)).toEqual(['0 knocks', '1 knock', '2 knocks']);
});
