import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/run-knock.js';
import { importKnockd, profileNameOf } from '../../../src/knockd/import.js';
import { parseKnockdConf } from '../../../src/knockd/conf.js';
import { parseProfile } from '../../../src/store/profiles.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/knockd.conf');

describe('importKnockd', () => {
  const conf = parseKnockdConf(readFileSync(FIXTURE, 'utf8'), FIXTURE);
  const result = importKnockd(conf, 'gate.example', 22);

  it('pairs [openSSH]/[closeSSH] into one profile with a close sequence', () => {
    expect(result.profiles[0]).toEqual({
      name: 'SSH',
      sections: ['openSSH', 'closeSSH'],
      profile: { host: 'gate.example', port: 22, open: [7000, 8000, 9000], close: [9000, 8000, 7000], seq_timeout: 5 },
    });
  });

  it('keeps other sections as profiles named after them, with protocols and seq_timeout', () => {
    expect(result.profiles.map((p) => p.name)).toEqual(['SSH', 'openHTTPS', 'mail-toggle', 'odd']);
    expect(result.profiles[1]!.profile).toEqual({ host: 'gate.example', port: 22, open: [12345, 54321, 24680, 13579], seq_timeout: 5 });
    expect(result.profiles[2]!.profile).toEqual({ host: 'gate.example', port: 22, open: ['2222:udp', 3333, '4444:udp'] });
  });

  it('produces profiles the store loader accepts', () => {
    for (const p of result.profiles) expect(() => parseProfile(p.name, p.profile, 'x')).not.toThrow();
  });

  it('warns about tcpflags a SYN knock cannot match', () => {
    expect(result.warnings).toEqual([`${FIXTURE}:29: [odd] wants tcpflags=fin,!syn; knock sends a bare SYN, so its TCP knocks will not match`]);
  });

  it('pairs a close section that comes first, and takes the shorter seq_timeout', () => {
    const c = parseKnockdConf('[close-web]\nsequence=3,2,1\nseq_timeout=10\n[open-web]\nsequence=1,2,3\nseq_timeout=20\n', 'k.conf');
    expect(importKnockd(c, 'h').profiles).toEqual([{ name: 'web', sections: ['open-web', 'close-web'], profile: { host: 'h', open: [1, 2, 3], close: [3, 2, 1], seq_timeout: 10 } }]);
  });

  it('makes a one_time_sequences section a profile that reads the user\'s copy of the file', () => {
    const c = parseKnockdConf('[otp]\none_time_sequences=/etc/knock-otp\n[a]\nsequence=1,2\n', 'k.conf');
    const r = importKnockd(c, 'h');
    expect(r.profiles).toEqual([
      { name: 'otp', profile: { host: 'h', one_time_sequences: 'one-time/otp' }, sections: ['otp'] },
      { name: 'a', profile: { host: 'h', open: [1, 2] }, sections: ['a'] },
    ]);
    expect(r.copies).toEqual([{ profile: 'otp', from: '/etc/knock-otp', to: 'one-time/otp' }]);
    expect(r.warnings).toEqual([]);
  });

  it('pairs a one-time open section with a fixed close section, never a one-time close', () => {
    const c = parseKnockdConf(
      '[openSSH]\none_time_sequences=/etc/otp\nseq_timeout=5\n[closeSSH]\nsequence=9,8\n[openWeb]\nsequence=1,2\n[closeWeb]\none_time_sequences=/etc/otp2\n',
      'k.conf',
    );
    const r = importKnockd(c, 'h', undefined, '/home/u/otp/');
    expect(r.profiles.map((p) => [p.name, p.profile])).toEqual([
      ['SSH', { host: 'h', one_time_sequences: '/home/u/otp/SSH', close: [9, 8], seq_timeout: 5 }],
      ['openWeb', { host: 'h', open: [1, 2] }],
      ['closeWeb', { host: 'h', one_time_sequences: '/home/u/otp/closeWeb' }],
    ]);
  });

  it('makes section names usable profile names', () => {
    expect(profileNameOf('mail toggle')).toBe('mail-toggle');
    expect(profileNameOf('--x')).toBe('x');
    expect(profileNameOf('.hidden')).toBe('hidden');
  });
});
