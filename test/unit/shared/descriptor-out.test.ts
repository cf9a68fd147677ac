// DescriptorOut (shared/io.ts): knock's lines by write(2) on the descriptor, Node's stream only
// once something needs it, and then everything through it, in order.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescriptorOut, nodeStream } from '../../../src/shared/io.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'knock-out-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for Node's stream that records what reaches it. */
function recorder() {
  const written: string[] = [];
  const listeners: Record<string, unknown[]> = {};
  const stream = {
    isTTY: true,
    columns: 80,
    write: (chunk: string | Uint8Array) => (written.push(Buffer.from(chunk).toString()), true),
    on: (event: string, listener: unknown) => ((listeners[event] ??= []).push(listener), stream),
    once: (event: string, listener: unknown) => ((listeners[event] ??= []).push(listener), stream),
    listenerCount: (event: string) => (listeners[event] ?? []).length,
  };
  return { stream: stream as unknown as NodeJS.WriteStream, written, listeners };
}

test('lines go to the descriptor at once, whole and in order; no stream is made for them', () => {
  const file = path.join(dir, 'a');
  const fd = openSync(file, 'w');
  let made = 0;
  const out = new DescriptorOut(fd, () => (made++, recorder().stream));
  out.on('error', () => {});
  expect(out.listenerCount('error')).toBe(1);
  expect(out.write('one\n')).toBe(true);
  expect(out.write(Buffer.from('two é\n'))).toBe(true);
  expect(readFileSync(file, 'utf8')).toBe('one\ntwo é\n');
  expect(made).toBe(0);
  closeSync(fd);
});

test('asked for more than a write (isTTY, the stream), it makes the stream once; later writes and the error listeners go there', () => {
  const file = path.join(dir, 'b');
  const fd = openSync(file, 'w');
  const rec = recorder();
  let made = 0;
  const out = new DescriptorOut(fd, () => (made++, rec.stream));
  const onError = () => {};
  out.on('error', onError);
  out.write('before\n');
  expect(out.isTTY).toBe(true);
  expect(nodeStream(out)).toBe(rec.stream);
  out.write('after\n');
  expect(made).toBe(1);
  expect(readFileSync(file, 'utf8')).toBe('before\n');
  expect(rec.written).toEqual(['after\n']);
  expect(rec.listeners['error']).toEqual([onError]);
  closeSync(fd);
});

test('a write that fails (/dev/full) is told to the error listeners on the next tick; later writes are dropped', async () => {
  const fd = openSync('/dev/full', 'w');
  const out = new DescriptorOut(fd, () => recorder().stream);
  const errors: NodeJS.ErrnoException[] = [];
  out.on('error', (e) => errors.push(e as NodeJS.ErrnoException));
  expect(out.write('x\n')).toBe(false);
  expect(errors).toEqual([]);
  await new Promise((resolve) => process.nextTick(resolve));
  expect(errors.map((e) => e.code)).toEqual(['ENOSPC']);
  expect(out.write('y\n')).toBe(false);
  await new Promise((resolve) => setImmediate(resolve));
  expect(errors.length).toBe(1);
  closeSync(fd);
});

test('what a non-blocking pipe refuses (EAGAIN, full) goes to the stream (the rest of that write), and after it every later write', async () => {
  const reader = spawn('sleep', ['30'], { stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    const fd = (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
    const rec = recorder();
    const out = new DescriptorOut(fd, () => rec.stream);
    const big = Buffer.alloc(1024 * 1024, 'k');
    expect(out.write(big)).toBe(true);
    // The pipe took its buffer's worth; the stream the rest.
    const rest = rec.written.join('').length;
    expect(rest).toBeGreaterThan(0);
    expect(rest).toBeLessThan(big.length);
    out.write('later\n');
    expect(rec.written.at(-1)).toBe('later\n');
  } finally {
    reader.kill();
  }
});
