import { checkAddress, prepareAction, substituteIp } from '../../../src/serve/actions.js';

describe('the %IP% guard', () => {
  test.each(['198.18.0.2', '2001:db8::2', '::1', '::ffff:198.18.0.2'])('a plain IP literal passes unchanged: %s', (address) => {
    expect(checkAddress(address)).toBe(address);
  });

  test.each([
    ['a shell command', '198.18.0.2;rm -rf ~'],
    ['a command substitution', '$(id)'],
    ['a backquote', '`id`'],
    ['a newline after an address', '198.18.0.2\nid'],
    ['a space', '198.18.0.2 x'],
    ['a quote', "198.18.0.2'"],
    ['an IPv6 zone (%: not a safe character)', 'fe80::1%eth0'],
    ['a host name', 'gate.example.com'],
    ['hex digits that are no address', 'deadbeef'],
    ['the empty string', ''],
    ['an address out of range', '198.18.0.256'],
  ])('%s is refused, naming it', (_what, address) => {
    expect(() => checkAddress(address)).toThrow(`refusing to put '${address}' into a command: not a plain IP address`);
    expect(() => substituteIp('iptables -I INPUT -s %IP% -j ACCEPT', address)).toThrow('not a plain IP address');
  });

  test('every %IP% is replaced literally, also inside single quotes; nothing else is touched', () => {
    expect(substituteIp("a %IP% b '%IP%' %ip% %IP", '2001:db8::2')).toBe("a 2001:db8::2 b '2001:db8::2' %ip% %IP");
  });

  test('prepareAction: the command substituted, KNOCK_IP and KNOCK_DOOR added, undefined variables dropped', () => {
    const request = prepareAction('echo %IP%', '198.18.0.2', 'office', { PATH: '/bin', GONE: undefined, KNOCK_IP: 'stale' });
    expect(request).toEqual({ command: 'echo 198.18.0.2', env: { PATH: '/bin', KNOCK_IP: '198.18.0.2', KNOCK_DOOR: 'office' } });
  });

  test('prepareAction refuses a hostile address before any command is built', () => {
    expect(() => prepareAction('echo %IP%', '$(id)', 'office', {})).toThrow("refusing to put '$(id)'");
  });
});
