import { storePermissionWarning } from '../../../src/store/permissions.js';

const stat = (mode: number) => () => ({ mode: 0o100000 | mode });

describe('storePermissionWarning', () => {
  it('is silent for a private store', () => {
    expect(storePermissionWarning('/s.yaml', 'linux', stat(0o600))).toBeUndefined();
    expect(storePermissionWarning('/s.yaml', 'linux', stat(0o700))).toBeUndefined();
  });

  it('names who can read the sequences and how to fix it', () => {
    expect(storePermissionWarning('/s.yaml', 'linux', stat(0o644))).toBe('/s.yaml is readable by group and others (mode 0644); knock sequences are secrets: chmod 600 /s.yaml');
    expect(storePermissionWarning('/s.yaml', 'darwin', stat(0o640))).toMatch(/readable by group \(mode 0640\)/);
    expect(storePermissionWarning('/s.yaml', 'linux', stat(0o604))).toMatch(/readable by others \(mode 0604\)/);
  });

  it('says nothing on Windows, where modes mean nothing', () => {
    expect(storePermissionWarning('C:\\s.yaml', 'win32', stat(0o666))).toBeUndefined();
  });
});
