import net from 'node:net';
import { PassThrough } from 'node:stream';
import { relay } from '../../../src/proxy/relay.js';

/**
 * A loopback server and a client connected to it. `close` ends the test's peer: the accepted
 * sockets are destroyed (server.close() alone leaves them open, and a relay that half-closed
 * waits for the server's FIN for a while), the client is awaited closed and the server closed.
 */
async function pair(onServer: (s: net.Socket) => void): Promise<{ client: net.Socket; close: () => Promise<void> }> {
  const accepted = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    accepted.add(s);
    onServer(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise((r) => client.once('connect', r));
  const clientClosed = new Promise((r) => client.once('close', r));
  const close = async () => {
    for (const s of accepted) s.destroy();
    await clientClosed;
    await new Promise((r) => server.close(r));
  };
  return { client, close };
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

test('our EOF half-closes the socket; the answer after it still arrives; the server end ends the relay', async () => {
  const { client, close } = await pair((s) => {
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
  await close();
});

test('a reader that goes away (EPIPE) ends the relay quietly', async () => {
  const { client, close } = await pair((s) => {
    s.write('x');
    s.resume();
  });
  const input = new PassThrough();
  const output = new PassThrough();
  output.once('data', () => output.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
  expect((await relay(client, { input, output })).end).toBe('reader-gone');
  await close();
});

test('a reset connection is a failure, with its error', async () => {
  const { client, close } = await pair((s) => s.once('data', () => s.resetAndDestroy()));
  const input = new PassThrough();
  const done = relay(client, { input, output: new PassThrough() });
  input.write('x');
  const result = await done;
  expect(result.end).toBe('connection-failed');
  expect((result.error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  await close();
});
