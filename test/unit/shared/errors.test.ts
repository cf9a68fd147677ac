// reasonOf: a raw system error becomes one plain line; other errors keep their code.
import { readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { reasonOf } from '../../../src/shared/errors.js';

test('a file error: the system words only (the caller names the file)', () => {
  let error: unknown;
  try {
    readFileSync('/nonexistent');
  } catch (e) {
    error = e;
  }
  expect((error as Error).message).toBe("ENOENT: no such file or directory, open '/nonexistent'");
  expect(reasonOf(error)).toBe('no such file or directory');
});

test("getaddrinfo's codes in gai_strerror's words", () => {
  const eai = Object.assign(new Error('getaddrinfo EAI_AGAIN db.example.com'), { code: 'EAI_AGAIN', syscall: 'getaddrinfo', hostname: 'db.example.com' });
  expect(reasonOf(eai)).toBe('temporary failure in name resolution (no answer from the name server)');
  const odd = Object.assign(new Error('getaddrinfo EWHAT x'), { code: 'EWHAT', syscall: 'getaddrinfo' });
  expect(reasonOf(odd)).toBe('name resolution failed (EWHAT)');
});

test('a send error keeps its code; a plain error its message', () => {
  expect(reasonOf(Object.assign(new Error('send EPERM 198.18.0.2:8000'), { code: 'EPERM', syscall: 'send' }))).toBe('send EPERM 198.18.0.2:8000');
  expect(reasonOf(new Error('plain'))).toBe('plain');
  expect(reasonOf('text')).toBe('text');
});

test('a real lookup of an address literal needs no resolver (the test never queries outside)', async () => {
  await expect(lookup('127.0.0.1')).resolves.toMatchObject({ address: '127.0.0.1' });
});
