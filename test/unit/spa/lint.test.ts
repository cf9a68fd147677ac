import { lintSpa } from '../../../src/spa/lint.js';
import { parseSpaSettings } from '../../../src/spa/profile.js';

const settings = (over: Record<string, unknown>) => parseSpaSettings({ key_base64: Buffer.alloc(32, 1).toString('base64'), hmac_key_base64: Buffer.alloc(64, 2).toString('base64'), ...over }, [])!;

test('fwknop --key-gen keys and no allow: source lint clean', () => {
  expect(lintSpa(settings({}))).toEqual([]);
});

test('a short key, a short HMAC key, allow: source, and a clock offset are each named', () => {
  const codes = lintSpa(settings({ key_base64: Buffer.alloc(15, 1).toString('base64'), hmac_key_base64: Buffer.alloc(31, 2).toString('base64'), allow: 'source', time_offset: 60 })).map((f) => `${f.level} ${f.code}`);
  expect(codes).toEqual(['warning spa-weak-key', 'warning spa-weak-key', 'warning spa-source-address', 'note spa-time-offset']);
  expect(lintSpa(settings({ key_base64: Buffer.alloc(16, 1).toString('base64'), hmac_key_base64: Buffer.alloc(32, 2).toString('base64') }))).toEqual([]);
});
