// UDP outcomes as -v reports them: a closed port's ICMP port-unreachable is 'refused' (as a TCP
// RST is), an open port is 'sent'; IPv4 and IPv6 on loopback; the process never dies of it.
import dgram from 'node:dgram';
import { runKnock, TempHome } from '../helpers/run-knock.js';
import { LoopbackPeers } from '../helpers/loopback.js';

let home: TempHome;
beforeAll(() => (home = new TempHome()));
afterAll(() => home.cleanup());

/** A port nothing listens on: bound for a moment by us, then closed. */
async function closedPort(type: 'udp4' | 'udp6'): Promise<number> {
  const socket = dgram.createSocket(type);
  await new Promise<void>((resolve) => socket.bind(0, type === 'udp6' ? '::1' : '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

test.each([
  ['IPv4', 'udp4', '127.0.0.1'],
  ['IPv6', 'udp6', '::1'],
] as const)('%s: knock -v to a closed UDP port says refused, for each knock, exit 0', async (_name, type, address) => {
  const port = await closedPort(type);
  const r = await runKnock(['-v', address, `${port}:udp`, `${port}:udp`], { env: home.env });
  expect(r).toMatchObject({ code: 0, signal: null });
  expect(r.stderr).toContain(`knock 1/2 ${port}:udp: refused`);
  expect(r.stderr).toContain(`knock 2/2 ${port}:udp: refused`);
});

test('knock -v to an open UDP port says sent', async () => {
  const peers = new LoopbackPeers();
  try {
    const port = await peers.udp();
    const r = await runKnock(['-v', '127.0.0.1', `${port}:udp`], { env: home.env });
    expect(r).toMatchObject({ code: 0, signal: null });
    expect(r.stderr).toContain(`knock 1/1 ${port}:udp: sent`);
  } finally {
    peers.close();
  }
});
