import { knowsProxyUseFdpass, localSshVersion, parseSshVersion } from '../../../src/ssh/version.js';

test('ssh -V as OpenSSH prints it', () => {
  expect(parseSshVersion('OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026\n')).toEqual({ text: 'OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026', major: 9, minor: 2 });
  expect(parseSshVersion('OpenSSH_for_Windows_8.6p1, LibreSSL 3.4.3')).toMatchObject({ major: 8, minor: 6 });
  expect(parseSshVersion('Sun_SSH_1.1')).toBeUndefined();
});

test('ProxyUseFdpass from OpenSSH 5.5 on', () => {
  const v = (major: number, minor: number) => ({ text: '', major, minor });
  expect(knowsProxyUseFdpass(v(5, 4))).toBe(false);
  expect(knowsProxyUseFdpass(v(5, 5))).toBe(true);
  expect(knowsProxyUseFdpass(v(6, 0))).toBe(true);
  expect(knowsProxyUseFdpass(v(4, 9))).toBe(false);
});

test('asks ssh -V (stderr); no ssh is no version', () => {
  expect(localSshVersion(() => ({ stderr: 'OpenSSH_5.5p1\n', stdout: '' }) as never)).toMatchObject({ major: 5, minor: 5 });
  expect(localSshVersion(() => { throw new Error('ENOENT'); })).toBeUndefined();
  expect(localSshVersion(() => ({ stderr: '', stdout: '', error: new Error('ENOENT') }) as never)).toBeUndefined();
});
