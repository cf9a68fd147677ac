import { parseStore } from '../../../src/store/profiles.js';
import { SshConfig } from '../../../src/ssh/config.js';
import { findProfile, hostOfProfile } from '../../../src/app/find-profile.js';
import { memorySshFs } from '../../helpers/fakes.js';

const SSH = `
Host jump
  HostName gw.example.net
  Port 2222
Host web web-alias
  HostName 198.18.0.2
Host pct
  HostName %h.lan
Host *.corp
  User me
`;

function sshOf(text: string | undefined): SshConfig {
  const fs = memorySshFs(text === undefined ? {} : { '/home/u/.ssh/config': text });
  return new SshConfig('/home/u/.ssh/config', { homedir: '/home/u', fs, uid: 1000, localUser: 'u' });
}

const store = parseStore(
  {
    profiles: {
      jump: { open: [1] },
      byhost: { host: 'Box.Example', open: [2] },
      web: { open: [3] },
      gateway: { host: 'gw.example.net', open: [4] },
      pct: { open: [5] },
    },
  },
  '/home/u/.config/knock/config.yaml',
);

const nameOf = async (target: string, ssh = sshOf(SSH)) => (await findProfile(store, target, ssh))?.name;

test('by profile name first', async () => {
  expect(await nameOf('jump')).toBe('jump');
  expect(await nameOf('web')).toBe('web');
});

test("by a profile's host, ignoring case", async () => {
  expect(await nameOf('box.example')).toBe('byhost');
  expect(await nameOf('BOX.EXAMPLE')).toBe('byhost');
});

test('by an ssh alias whose HostName matches the target', async () => {
  // 198.18.0.2 is the HostName of the ssh alias "web", which is a profile.
  expect(await nameOf('198.18.0.2')).toBe('web');
});

test("by the target's HostName as an ssh alias: a profile with that name or host", async () => {
  // web-alias -> HostName 198.18.0.2: no profile by that name or host, but alias "web" has it.
  expect(await nameOf('web-alias')).toBe('web');
  expect(await nameOf('pct')).toBe('pct');
  const extra = parseStore({ profiles: { '198.18.0.2': { open: [9] }, other: { host: 'gw.example.net', open: [8] } } }, 'f');
  expect((await findProfile(extra, 'web-alias', sshOf(SSH)))?.name).toBe('198.18.0.2');
  expect((await findProfile(extra, 'jump', sshOf(SSH)))?.name).toBe('other');
});

test('unknown targets, with and without an ssh config', async () => {
  expect(await nameOf('nothing.example')).toBeUndefined();
  expect(await nameOf('nothing.example', sshOf(undefined))).toBeUndefined();
  expect(await nameOf('jump', sshOf(undefined))).toBe('jump');
});

test('hostOfProfile: its host, else the HostName of its name, else its name; the ssh port', async () => {
  const ssh = sshOf(SSH);
  expect(await hostOfProfile(store.profiles.get('jump')!, ssh)).toEqual({ host: 'gw.example.net', port: 2222 });
  expect(await hostOfProfile(store.profiles.get('byhost')!, ssh)).toEqual({ host: 'Box.Example' });
  expect(await hostOfProfile(store.profiles.get('pct')!, ssh)).toEqual({ host: 'pct.lan' });
  const bare = parseStore({ profiles: { 'x.example': { open: [1], port: 22 } } }, 'f').profiles.get('x.example')!;
  expect(await hostOfProfile(bare, ssh)).toEqual({ host: 'x.example', port: 22 });
});
