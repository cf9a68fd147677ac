import { addHostBlock, renderHostBlock, type HostBlock } from '../../../src/ssh/host-block.js';
import { ConfigError } from '../../../src/shared/errors.js';
import { parseSshLines } from '../../../src/ssh/config-lines.js';
import { evaluateFor } from '../../../src/ssh/evaluate.js';
import type { SshConfigFile } from '../../../src/ssh/include.js';

/** The main file 'cfg' reading `text`; its k-th Include line reads included[k]. */
const evaluate = (included: SshConfigFile[][] = []) => (text: string) => {
  let k = 0;
  const lines = parseSshLines(text).map((l) => (l.keyword === 'include' ? { ...l, included: included[k++] ?? [] } : l));
  return evaluateFor({ file: 'cfg', lines }, 'door', { localUser: 'u' });
};
const addHost = (text: string, b: HostBlock = block, included: SshConfigFile[][] = []) => addHostBlock(text, 'cfg', b, evaluate(included));
const fileOf = (file: string, text: string): SshConfigFile => ({ file, lines: parseSshLines(text) });

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
    expect(addHost('')).toEqual({ kind: 'added-block', text: ours() });
  });

  test('appended after a blank line when there is no wildcard block; a missing final newline is added', () => {
    expect(addHost('Host a\n  User x')).toEqual({ kind: 'added-block', text: `Host a\n  User x\n\n${ours()}` });
    expect(addHost('Host a\n  User x\n')).toEqual({ kind: 'added-block', text: `Host a\n  User x\n\n${ours()}` });
  });

  test('inserted before the first wildcard or Match block, whose values would otherwise win', () => {
    const text = 'Host a\n  User x\n\nMatch user root\n  ForwardAgent no\n\nHost *\n  User y\n';
    expect(addHost(text)).toEqual({ kind: 'added-block', text: `Host a\n  User x\n\n${ours()}\nMatch user root\n  ForwardAgent no\n\nHost *\n  User y\n` });
  });

  test("an existing block of that name gets only what it lacks, in its own indentation", () => {
    const out = addHost('Host door\n\tHostName other.example\n\tUser bob\n\nHost b\n  User c\n');
    expect(out).toEqual({
      kind: 'added-to-block',
      added: ['Port', 'ProxyCommand'],
      text: 'Host door\n\tHostName other.example\n\tUser bob\n\tPort 2222\n\tProxyCommand /opt/knock/bin/knock proxy %n %p\n\nHost b\n  User c\n',
    });
  });

  test('a block that names the alias among others is left alone: a new block goes in instead', () => {
    const out = addHost('Host door other\n  User bob\n');
    expect(out.kind).toBe('added-block');
    expect(out.kind === 'added-block' && out.text).toBe(`Host door other\n  User bob\n\n${ours()}`);
  });

  test('the same ProxyCommand already in effect: unchanged', () => {
    expect(addHost(ours())).toEqual({ kind: 'unchanged' });
  });

  test.each([
    ['Host door\n  ProxyCommand nc %h %p\n', /cfg line 2: Host door already has ProxyCommand nc %h %p; not changed/],
    ['Host d*\n  ProxyCommand nc %h %p\n', /already has ProxyCommand nc %h %p/],
    ['Host door\n  ProxyJump bastion\n', /already has ProxyJump bastion/],
  ])('refuses %j', (text, message) => {
    expect(() => addHost(text)).toThrow(ConfigError);
    expect(() => addHost(text)).toThrow(message);
  });

  test('Match exec is never run while checking', () => {
    expect(addHost('Match exec "exit 1"\n  User z\n').kind).toBe('added-block');
  });

  test('CRLF files stay CRLF, in their own blocks and in new ones', () => {
    const out = addHost('Host a\r\n  User x\r\n\r\nHost *\r\n  User y\r\n');
    expect(out.kind === 'added-block' && out.text).toBe(`Host a\r\n  User x\r\n\r\n${ours().replace(/\n/g, '\r\n')}\r\nHost *\r\n  User y\r\n`);
    const filled = addHost('Host door\r\n  User bob\r\n');
    expect(filled.kind === 'added-to-block' && filled.text).toBe('Host door\r\n  User bob\r\n  HostName 203.0.113.7\r\n  Port 2222\r\n  ProxyCommand /opt/knock/bin/knock proxy %n %p\r\n');
  });

  test("a new block takes the file's indentation", () => {
    const out = addHost('Host a\n    User x\n');
    expect(out.kind === 'added-block' && out.text).toBe(`Host a\n    User x\n\n${renderHostBlock(block, '    ')}`);
    expect(renderHostBlock(block, '    ')).toMatch(/^Host door\n    HostName/);
  });

  test('an included ProxyJump or ProxyCommand refuses, naming the included file and line', () => {
    const inc = [[fileOf('/h/.ssh/conf.d/work', '# work\nHost door\n  ProxyJump bastion\n')]];
    expect(() => addHost('Include conf.d/*\n', block, inc)).toThrow(/^\/h\/.ssh\/conf.d\/work line 3: Host door already has ProxyJump bastion/);
    const wild = [[fileOf('/h/inc', 'Host *\n  ProxyCommand nc %h %p\n')]];
    expect(() => addHost('Include /h/inc\nHost door\n  User x\n', block, wild)).toThrow(/^\/h\/inc line 2: Host door already has ProxyCommand nc %h %p/);
  });

  test('a Host block for the name in an included file: no second block, and it says where', () => {
    const inc = [[fileOf('/h/.ssh/conf.d/work', 'Host door\n  HostName 198.18.0.5\n')]];
    expect(() => addHost('Include conf.d/*\n\nHost other\n  User x\n', block, inc)).toThrow(
      /^\/h\/.ssh\/conf.d\/work line 1: Host door is defined there \(included from cfg\); add 'ProxyCommand \/opt\/knock\/bin\/knock proxy %n %p' to that block yourself/,
    );
    // Included under a Host block that does not apply, it defines nothing for ssh.
    const out = addHost('Host nomatch\n  Include conf.d/*\n', block, inc);
    expect(out.kind).toBe('added-block');
  });

  test("the main file's own block is completed even when an included file also names the host", () => {
    const inc = [[fileOf('/h/inc', 'Host door\n  User bob\n')]];
    expect(addHost('Include /h/inc\nHost door\n  Port 2222\n', block, inc).kind).toBe('added-to-block');
  });
});

describe('ProxyUseFdpass', () => {
  const fd: HostBlock = { ...block, proxyUseFdpass: true };
  test('rendered after the ProxyCommand; added to an existing block unless it says its own', () => {
    expect(renderHostBlock(fd)).toBe('Host door\n  HostName 203.0.113.7\n  Port 2222\n  ProxyCommand /opt/knock/bin/knock proxy %n %p\n  ProxyUseFdpass yes\n');
    expect(addHost('Host door\n  User bob\n', fd)).toMatchObject({ added: ['HostName', 'Port', 'ProxyCommand', 'ProxyUseFdpass'] });
    expect(addHost('Host door\n  User bob\n  ProxyUseFdpass no\n', fd)).toMatchObject({ added: ['HostName', 'Port', 'ProxyCommand'] });
  });
  test('a block knock wrote before fd passing gets only the ProxyUseFdpass line; one that has it (or no fd passing) is left alone', () => {
    const before = renderHostBlock(block);
    expect(addHost(before, fd)).toEqual({ kind: 'added-to-block', text: renderHostBlock(fd), added: ['ProxyUseFdpass'] });
    expect(addHost(renderHostBlock(fd), fd)).toEqual({ kind: 'unchanged' });
    expect(addHost(before, block)).toEqual({ kind: 'unchanged' });
    // Our ProxyCommand given by `Host *` (no block of its own): nothing to complete.
    expect(addHost(`Host *\n  ProxyCommand ${block.proxyCommand}\n`, fd)).toEqual({ kind: 'unchanged' });
  });
});
