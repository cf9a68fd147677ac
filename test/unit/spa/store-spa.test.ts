// An `spa:` profile in the store: exactly one of open / one_time_sequences / spa; errors never carry a key.
import { checkProfile, parseStore } from '../../../src/store/profiles.js';

const KEY = Buffer.alloc(32, 0x41).toString('base64');
const HMAC = Buffer.alloc(64, 0x42).toString('base64');
const FILE = '/home/u/.config/knock/config.yaml';

describe('spa profiles in the store', () => {
  test('spa in place of open: the settings parsed, no knocks', () => {
    const store = parseStore({ profiles: { vault: { host: 'vault.example.com', port: 22, spa: { key_base64: KEY, hmac_key_base64: HMAC, port: 62202, access: 'tcp/22,udp/53', allow: 'source', username: 'alice', client_timeout: 60, time_offset: -30 } } } }, FILE);
    const vault = store.profiles.get('vault');
    expect(vault?.open).toEqual([]);
    expect(vault?.spa?.port).toBe(62202);
    expect(vault?.spa?.access).toEqual(['tcp/22', 'udp/53']);
    expect(vault?.spa?.allow).toBe('source');
    expect(vault?.spa?.username).toBe('alice');
    expect(vault?.spa?.clientTimeout).toBe(60);
    expect(vault?.spa?.timeOffset).toBe(-30);
    expect(vault?.spa?.keys.key.equals(Buffer.alloc(32, 0x41))).toBe(true);
    expect(store.broken?.size).toBe(0);
  });

  test.each([
    [{ open: [1, 2], spa: { key_base64: KEY, hmac_key_base64: HMAC } }, "give one of 'open', 'one_time_sequences' or 'spa'"],
    [{ one_time_sequences: 'x', spa: { key_base64: KEY, hmac_key_base64: HMAC } }, "give one of 'open', 'one_time_sequences' or 'spa'"],
    [{ spa: { key_base64: KEY, hmac_key_base64: HMAC }, close: [1, 2] }, "has no 'close'"],
    [{ spa: { key_base64: KEY } }, "'spa.hmac_key_base64' is missing"],
    [{ spa: { key_base64: KEY, hmac_key_base64: KEY } }, 'identical'],
    [{ spa: { key_base64: Buffer.alloc(33, 1).toString('base64'), hmac_key_base64: HMAC } }, 'SPA key is 33 bytes'],
    [{ spa: { key_base64: KEY, hmac_key_base64: HMAC }, family: 6 }, 'IPv4 only'],
    [{ spa: { key_base64: KEY, hmac_key_base64: HMAC }, family: 'both' }, 'IPv4 only'],
    [{ spa: { key_base64: KEY, hmac_key_base64: HMAC, allow: '2001:db8::1' } }, 'IPv4 address'],
    [{ spa: { key_base64: KEY, hmac_key_base64: HMAC, secret: KEY } }, "unknown key 'spa.secret'"],
    [{ spa: 'yes' }, "'spa' must be a mapping"],
  ])('refused: %j', (value, message) => {
    const { profile, errors } = checkProfile('vault', value, FILE);
    expect(profile).toBeUndefined();
    expect(errors.join('; ')).toContain(message);
    // The keys are secrets: no message repeats them.
    for (const e of errors) {
      expect(e).not.toContain(KEY);
      expect(e).not.toContain(HMAC);
    }
  });

  test('a broken spa profile does not stop the others', () => {
    const store = parseStore({ profiles: { vault: { spa: { key_base64: KEY } }, office: { open: [1, 2] } } }, FILE);
    expect(store.profiles.has('office')).toBe(true);
    expect(store.broken?.get('vault')?.join(' ')).toContain('hmac_key_base64');
  });
});
