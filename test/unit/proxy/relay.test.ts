import net from 'node:net';
import { PassThrough } from 'node:stream';
import { relay } from '../../../src/proxy/relay.js';

async function pair(onServer: (s: net.Socket) => void): Promise<{ client: net.Socket; server: net.Server }> {
  const server = net.createServer({ allowHalfOpen: true }, onServer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise((r) => client.once('connect', r));
  return { client, server };
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

test('our EOF half-closes the socket; the answer after it still arrives; the server end ends the relay', async () => {
  const { client, server } = await pair((s) => {
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => s.end(`echo:${got}`));
  });
  const input = new PassThrough();
  const output = new PassThrough();
  const text = collect(output);
  const done = relay(client, { input, output });
  input.end('abc');
  expect(await done).toEqual({ end: 'server-closed' });
  expect(text()).toBe('echo:abc');
  server.close();
});

test('a reader that goes away (EPIPE) ends the relay quietly', async () => {
  const { client, server } = await pair((s) => {
    s.write('x');
    s.resume();
  });
  const input = new PassThrough();
  const output = new PassThrough();
  output.once('data', () => output.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
  expect((await relay(client, { input, output })).end).toBe('reader-gone');
  server.close();
});

test('a reset connection is a failure, with its error', async () => {
  const { client, server } = await pair((s) => s.once('data', () => s.resetAndDestroy()));
  const input = new PassThrough();
  const done = relay(client, { input, output: new PassThrough() });
  input.write('x');
  const result = await done;
  expect(result.end).toBe('connection-failed');
  expect((result.error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  server.close();
});
