import { addHostBlock, renderHostBlock, type HostBlock } from '../../../src/ssh/host-block.js';
import { ConfigError } from '../../../src/shared/errors.js';

const block: HostBlock = { alias: 'door', hostName: '203.0.113.7', port: 2222, proxyCommand: '/opt/knock/bin/knock proxy %n %p' };
const ours = (b: HostBlock = block) => renderHostBlock(b);

describe('renderHostBlock', () => {
  test('HostName and Port only when they say something', () => {
    expect(ours()).toBe('Host door\n  HostName 203.0.113.7\n  Port 2222\n  ProxyCommand /opt/knock/bin/knock proxy %n %p\n');
    expect(renderHostBlock({ alias: 'door', hostName: 'door', proxyCommand: 'k proxy %n %p' })).toBe('Host door\n  ProxyCommand k proxy %n %p\n');
  });
});

describe('addHostBlock', () => {
  test('an empty file gets the block alone', () => {
    expect(addHostBlock('', 'cfg', block)).toEqual({ kind: 'added-block', text: ours() });
  });

  test('appended after a blank line when there is no wildcard block; a missing final newline is added', () => {
    expect(addHostBlock('Host a\n  User x', 'cfg', block)).toEqual({ kind: 'added-block', text: `Host a\n  User x\n\n${ours()}` });
    expect(addHostBlock('Host a\n  User x\n', 'cfg', block)).toEqual({ kind: 'added-block', text: `Host a\n  User x\n\n${ours()}` });
  });

  test('inserted before the first wildcard or Match block, whose values would otherwise win', () => {
    const text = 'Host a\n  User x\n\nMatch user root\n  ForwardAgent no\n\nHost *\n  User y\n';
    expect(addHostBlock(text, 'cfg', block)).toEqual({ kind: 'added-block', text: `Host a\n  User x\n\n${ours()}\nMatch user root\n  ForwardAgent no\n\nHost *\n  User y\n` });
  });

  test("an existing block of that name gets only what it lacks, in its own indentation", () => {
    const out = addHostBlock('Host door\n\tHostName other.example\n\tUser bob\n\nHost b\n  User c\n', 'cfg', block);
    expect(out).toEqual({
      kind: 'added-to-block',
      added: ['Port', 'ProxyCommand'],
      text: 'Host door\n\tHostName other.example\n\tUser bob\n\tPort 2222\n\tProxyCommand /opt/knock/bin/knock proxy %n %p\n\nHost b\n  User c\n',
    });
  });

  test('a block that names the alias among others is left alone: a new block goes in instead', () => {
    const out = addHostBlock('Host door other\n  User bob\n', 'cfg', block);
    expect(out.kind).toBe('added-block');
    expect(out.kind === 'added-block' && out.text).toBe(`Host door other\n  User bob\n\n${ours()}`);
  });

  test('the same ProxyCommand already in effect: unchanged', () => {
    expect(addHostBlock(ours(), 'cfg', block)).toEqual({ kind: 'unchanged' });
  });

  test.each([
    ['Host door\n  ProxyCommand nc %h %p\n', /cfg: Host door already has ProxyCommand nc %h %p; not changed/],
    ['Host d*\n  ProxyCommand nc %h %p\n', /already has ProxyCommand nc %h %p/],
    ['Host door\n  ProxyJump bastion\n', /already has ProxyJump bastion/],
  ])('refuses %j', (text, message) => {
    expect(() => addHostBlock(text, 'cfg', block)).toThrow(ConfigError);
    expect(() => addHostBlock(text, 'cfg', block)).toThrow(message);
  });

  test('Match exec is never run while checking', () => {
    expect(addHostBlock('Match exec "exit 1"\n  User z\n', 'cfg', block).kind).toBe('added-block');
  });
});

describe('ProxyUseFdpass', () => {
  const fd: HostBlock = { ...block, proxyUseFdpass: true };
  test('rendered after the ProxyCommand; added to an existing block unless it says its own', () => {
    expect(renderHostBlock(fd)).toBe('Host door\n  HostName 203.0.113.7\n  Port 2222\n  ProxyCommand /opt/knock/bin/knock proxy %n %p\n  ProxyUseFdpass yes\n');
    expect(addHostBlock('Host door\n  User bob\n', 'cfg', fd)).toMatchObject({ added: ['HostName', 'Port', 'ProxyCommand', 'ProxyUseFdpass'] });
    expect(addHostBlock('Host door\n  User bob\n  ProxyUseFdpass no\n', 'cfg', fd)).toMatchObject({ added: ['HostName', 'Port', 'ProxyCommand'] });
  });
});
