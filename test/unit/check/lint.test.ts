import { lintProfile } from '../../../src/check/lint.js';
import type { Knock } from '../../../src/knock/tokens.js';
import type { Profile } from '../../../src/store/profiles.js';

const profile = (p: Partial<Profile>): Profile => ({ name: 'p', open: [tcp(7000), tcp(8000), tcp(9000)], delay: 100, seqTimeout: 25, ...p });
const tcp = (port: number): Knock => ({ protocol: 'tcp', port });
const codes = (p: Profile) => lintProfile(p).map((f) => `${f.level}:${f.code}`);

describe('lintProfile', () => {
  it('finds nothing in a sound profile', () => {
    expect(lintProfile(profile({}))).toEqual([]);
  });

  it('warns about a single knock', () => {
    expect(codes(profile({ open: [tcp(7000)] }))).toEqual(['warning:single-knock']);
  });

  it('warns about repeated consecutive knocks, naming the port only when verbose', () => {
    const p = profile({ open: [tcp(7000), tcp(7000), tcp(9000)] });
    expect(lintProfile(p)[0]!.message).toBe('knock 2 of the open sequence repeats the knock before it: a server cannot tell it from a retransmit or a scan');
    expect(lintProfile(p, true)[0]!.message).toContain('knock 2 (7000)');
    expect(codes(profile({ open: [tcp(7000), { protocol: 'udp', port: 7000 }] }))).toEqual([]);
  });

  it('warns when the sequence outlasts seq_timeout, per-knock delays included', () => {
    expect(codes(profile({ delay: 3000, seqTimeout: 5 }))).toEqual(['warning:too-slow']);
    expect(codes(profile({ delay: 2500, seqTimeout: 5 }))).toEqual([]);
    expect(codes(profile({ open: [{ protocol: 'tcp', port: 1, delay: 6000 }, tcp(2)], seqTimeout: 5 }))).toEqual(['warning:too-slow']);
  });

  it('checks the close sequence too, and a close equal to open', () => {
    expect(codes(profile({ close: [tcp(1)] }))).toEqual(['warning:single-knock']);
    expect(codes(profile({ close: [tcp(7000), tcp(8000), tcp(9000)] }))).toEqual(['warning:same-open-close']);
  });

  it('warns about knocking the service port, and notes ICMP knocks', () => {
    expect(codes(profile({ port: 8000 }))).toEqual(['warning:service-port']);
    expect(codes(profile({ open: [tcp(1), { protocol: 'icmp', size: 56 }] }))).toEqual(['note:icmp-knockd']);
  });
});

test('a :connect knock is a warning (knockd sees its ACK and FIN as more knocks); payloads tell repeated knocks apart', () => {
  const profile = {
    name: 'p',
    open: [
      { protocol: 'tcp' as const, port: 7000, connect: true as const },
      { protocol: 'udp' as const, port: 8000, payload: 'hex:01' },
      { protocol: 'udp' as const, port: 8000, payload: 'hex:02' },
    ],
    delay: 100,
    seqTimeout: 25,
  };
  const findings = lintProfile(profile);
  expect(findings.map((f) => f.code)).toEqual(['connect-knockd']);
  expect(findings[0]!.level).toBe('warning');
  expect(findings[0]!.message).toMatch(/^knock 1 of the open sequence completes a handshake: knockd takes its ACK and FIN as further knocks/);
});
