import type { Door } from '../../../src/serve/doors.js';
import { KnockMachine, type MachineEvent } from '../../../src/serve/knock-machine.js';

const door = (name: string, ports: (number | `${number}:udp`)[], seqTimeout = 10, kind: Door['kind'] = 'open'): Door => ({
  name,
  kind,
  seqTimeout,
  sequence: ports.map((p) => (typeof p === 'number' ? { proto: 'tcp' as const, port: p } : { proto: 'udp' as const, port: Number(p.split(':')[0]) })),
});

const A = '10.0.0.1';
const B = '10.0.0.2';
/** A fake wall clock in ms; starts mid-second so whole-second rounding shows. */
const T0 = 1_000_000_400;

const brief = (events: MachineEvent[]) =>
  events.map((e) => (e.event === 'knock' ? `knock ${e.port} ${e.door ?? '-'} ${e.stage}` : e.event === 'reset' ? `reset ${e.door} ${e.stage} ${e.reason}` : `${e.event} ${e.door}`));

describe('KnockMachine (knockd semantics)', () => {
  const openClose = () => new KnockMachine([door('open', [7000, '8000:udp', 9000]), door('close', [9000, '8000:udp', 7000], 10, 'close')]);

  test('the open sequence in order opens; the close sequence closes', () => {
    const m = openClose();
    expect(brief(m.knock(A, 'tcp', 7000, T0))).toEqual(['knock 7000 open 1']);
    expect(brief(m.knock(A, 'udp', 8000, T0 + 100))).toEqual(['knock 8000 open 2']);
    expect(brief(m.knock(A, 'tcp', 9000, T0 + 200))).toEqual(['knock 9000 open 3', 'open open']);
    expect(m.progress(A)).toEqual([]);
    expect(brief(m.knock(A, 'tcp', 9000, T0 + 300))).toEqual(['knock 9000 close 1']);
    expect(brief(m.knock(A, 'udp', 8000, T0 + 400))).toEqual(['knock 8000 close 2']);
    expect(brief(m.knock(A, 'tcp', 7000, T0 + 500))).toEqual(['knock 7000 close 3', 'close close']);
  });

  test('protocol matters: 8000/tcp is not 8000/udp', () => {
    const m = openClose();
    m.knock(A, 'tcp', 7000, T0);
    expect(brief(m.knock(A, 'tcp', 8000, T0 + 1))).toEqual(['knock 8000 - 0', 'reset open 1 wrong-knock']);
  });

  test('a knock out of turn resets, and does not itself start a new attempt even when it is the first knock', () => {
    const m = openClose();
    m.knock(A, 'tcp', 7000, T0);
    m.knock(A, 'udp', 8000, T0 + 1);
    // 7000 is the first knock of "open", but knockd only invalidates here.
    expect(brief(m.knock(A, 'tcp', 7000, T0 + 2))).toEqual(['knock 7000 - 0', 'reset open 2 wrong-knock']);
    expect(m.progress(A)).toEqual([]);
    // So the rest of the sequence does nothing...
    expect(brief(m.knock(A, 'udp', 8000, T0 + 3))).toEqual(['knock 8000 - 0']);
    expect(brief(m.knock(A, 'tcp', 9000, T0 + 4))).toEqual(['knock 9000 close 1']);
    // ...and a fresh first knock after the reset starts again.
    const n = openClose();
    n.knock(A, 'tcp', 7000, T0);
    n.knock(A, 'tcp', 7000, T0 + 1);
    expect(brief(n.knock(A, 'tcp', 7000, T0 + 2))).toEqual(['knock 7000 open 1']);
  });

  test('a repeated knock (say a SYN retransmit) resets', () => {
    const m = openClose();
    m.knock(A, 'tcp', 7000, T0);
    expect(brief(m.knock(A, 'tcp', 7000, T0 + 1000))).toEqual(['knock 7000 - 0', 'reset open 1 wrong-knock']);
  });

  test('seq_timeout compares whole seconds, as knockd does with packet timestamps', () => {
    const m = new KnockMachine([door('open', [7000, 8000, 9000], 2)]);
    m.knock(A, 'tcp', 7000, T0); // second 1_000_000, .400
    m.knock(A, 'tcp', 8000, T0 + 1500); // second 1_000_001: still in time
    // second 1_000_002 (only 1.6 s after the first knock): 2 - 0 >= 2, timed out; then 9000 starts nothing.
    expect(brief(m.knock(A, 'tcp', 9000, T0 + 1600))).toEqual(['reset open 2 timeout', 'knock 9000 - 0']);
  });

  test('just inside the window completes', () => {
    const m = new KnockMachine([door('open', [7000, 8000], 2)]);
    m.knock(A, 'tcp', 7000, 5_000_000);
    expect(brief(m.knock(A, 'tcp', 8000, 5_001_999))).toEqual(['knock 8000 open 2', 'open open']);
  });

  test('a timed-out attempt is swept by expire(), and a first knock after a timeout starts fresh', () => {
    const m = new KnockMachine([door('open', [7000, 8000], 3)]);
    m.knock(A, 'tcp', 7000, 5_000_000);
    expect(m.nextExpiryMs()).toBe(5_003_000);
    expect(m.expire(5_002_999)).toEqual([]);
    expect(brief(m.expire(5_003_000))).toEqual(['reset open 1 timeout']);
    expect(m.nextExpiryMs()).toBeUndefined();
    m.knock(A, 'tcp', 7000, 5_000_000 + 10_000);
    expect(brief(m.knock(A, 'tcp', 7000, 5_000_000 + 20_000))).toEqual(['reset open 1 timeout', 'knock 7000 open 1']);
  });

  test('sources progress independently, even interleaved', () => {
    const m = openClose();
    m.knock(A, 'tcp', 7000, T0);
    m.knock(B, 'tcp', 7000, T0 + 1);
    m.knock(A, 'udp', 8000, T0 + 2);
    // B knocks out of turn: only B resets.
    expect(brief(m.knock(B, 'tcp', 9000, T0 + 3))).toEqual(['knock 9000 - 0', 'reset open 1 wrong-knock']);
    expect(brief(m.knock(A, 'tcp', 9000, T0 + 4))).toEqual(['knock 9000 open 3', 'open open']);
    expect(m.knock(A, 'tcp', 9000, T0 + 5).map((e) => e.src)).toEqual([A]);
  });

  test('two doors sharing a first knock both start; the next knock keeps one and kills the other', () => {
    const m = new KnockMachine([door('ssh', [7000, 8000]), door('web', [7000, 9000])]);
    expect(brief(m.knock(A, 'tcp', 7000, T0))).toEqual(['knock 7000 ssh 1']);
    expect(m.progress(A)).toEqual([
      { door: 'ssh', stage: 1 },
      { door: 'web', stage: 1 },
    ]);
    expect(brief(m.knock(A, 'tcp', 9000, T0 + 1))).toEqual(['knock 9000 web 2', 'reset ssh 1 wrong-knock', 'open web']);
  });

  test('a one-knock door opens on its only knock', () => {
    const m = new KnockMachine([door('one', ['5000:udp'])]);
    expect(brief(m.knock(A, 'udp', 5000, T0))).toEqual(['knock 5000 one 1', 'open one']);
  });

  test('a knock on a port of no door with nothing in progress changes nothing', () => {
    const m = openClose();
    expect(brief(m.knock(A, 'udp', 8000, T0))).toEqual(['knock 8000 - 0']);
    expect(m.progress(A)).toEqual([]);
  });
});

describe('KnockMachine under load', () => {
  test('doors with different seq_timeouts expire each at its own time, oldest first', () => {
    const m = new KnockMachine([door('short', [7000, 7001], 2), door('long', [7000, 7002], 5)]);
    m.knock(A, 'tcp', 7000, 5_000_000);
    m.knock(B, 'tcp', 7000, 5_001_000);
    expect(m.progress(A)).toEqual([
      { door: 'short', stage: 1 },
      { door: 'long', stage: 1 },
    ]);
    expect(m.nextExpiryMs()).toBe(5_002_000);
    expect(m.expire(5_002_000).map((e) => `${e.src} ${e.door}`)).toEqual([`${A} short`]);
    expect(m.progress(A)).toEqual([{ door: 'long', stage: 1 }]);
    expect(m.nextExpiryMs()).toBe(5_003_000);
    expect(m.expire(5_003_000).map((e) => `${e.src} ${e.door}`)).toEqual([`${B} short`]);
    expect(m.nextExpiryMs()).toBe(5_005_000);
    // A source that advanced keeps its place: its start time is its first knock's.
    expect(brief(m.knock(A, 'tcp', 7002, 5_004_000))).toEqual(['knock 7002 long 2', 'open long']);
    expect(m.expire(5_006_000).map((e) => `${e.src} ${e.door}`)).toEqual([`${B} long`]);
    expect(m.tracked).toBe(0);
    expect(m.nextExpiryMs()).toBeUndefined();
  });

  test('past the cap the oldest source is dropped, and a newer one still opens', () => {
    const m = new KnockMachine([door('open', [7000, 8000])], 3);
    const srcs = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    for (const s of srcs.slice(0, 3)) m.knock(s, 'tcp', 7000, T0);
    expect(m.tracked).toBe(3);
    expect(brief(m.knock(srcs[3]!, 'tcp', 7000, T0 + 1))).toEqual(['knock 7000 open 1', 'reset open 1 evicted']);
    expect(m.tracked).toBe(3);
    expect(m.progress(srcs[0]!)).toEqual([]);
    // The evicted source's second knock is a knock out of nowhere: it starts nothing.
    expect(brief(m.knock(srcs[0]!, 'tcp', 8000, T0 + 2))).toEqual(['knock 8000 - 0']);
    expect(brief(m.knock(srcs[1]!, 'tcp', 8000, T0 + 3))).toEqual(['knock 8000 open 2', 'open open']);
    expect(m.tracked).toBe(2);
  });

  test('20k sources mid-sequence: expiry sweeps them all, and a source among them still opens', () => {
    const m = new KnockMachine([door('open', [7000, 8000], 10)], 30_000);
    for (let i = 0; i < 20_000; i++) m.knock(`2001:db8:100::${i.toString(16)}`, 'tcp', 7000, T0 + i / 100);
    expect(m.tracked).toBe(20_000);
    m.knock(A, 'tcp', 7000, T0 + 200);
    expect(brief(m.knock(A, 'tcp', 8000, T0 + 201))).toEqual(['knock 8000 open 2', 'open open']);
    expect(m.expire(T0 + 60_000)).toHaveLength(20_000);
    expect(m.tracked).toBe(0);
  });
});
