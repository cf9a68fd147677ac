// PORT:connect against a real knockd: the handshake's ACK and FIN reach knockd as more packets
// on the port, which is what lint's connect-knockd warning says; with tcpflags = syn knockd
// looks at the SYN only and the door opens.
import { describeLab, Lab, SERVER_V4 } from '../lab/netns.js';
import { Knockd } from '../lab/knockd.js';
import { runKnock } from '../helpers/run-knock.js';

const conf = (first: number, flags: string) => `
[options]
  logfile = DIR/knockd.log
[door]
  sequence    = ${first},7000,7001
  seq_timeout = 10
  ${flags}
  command     = /usr/bin/touch DIR/open-%IP%
`;

describeLab('PORT:connect against knockd (netns, real knockd)', ['knockd', 'iptables'], () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = Lab.create('kc');
    lab.exec(lab.client, 'ping', ['-c', '1', '-W', '3', SERVER_V4]);
    // 6001 accepts (a transparent proxy's view of the world); the other knock ports drop.
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '--dport', '7000:7999', '-j', 'DROP']);
    lab.exec(lab.server, 'iptables', ['-A', 'INPUT', '-i', 'veth0', '-p', 'tcp', '--dport', '6002', '-j', 'DROP']);
    const server = lab.spawn(lab.server, process.execPath, ['-e', "require('net').createServer((s) => s.resume()).listen(6001, () => console.log('up'))"]);
    await new Promise((resolve) => server.stdout!.once('data', resolve));
  });
  afterAll(() => lab?.destroy());

  test.each([
    ['control, without tcpflags: one SYN per knock opens the door', 6002, '6002', '', true],
    ['without tcpflags: the extra packets of :connect reset the sequence, nothing opens', 6001, '6001:connect', '', false],
    ['with tcpflags = syn: only the SYN counts, the :connect door opens', 6001, '6001:connect', 'tcpflags = syn', true],
  ])('%s', async (_name, first, token, flags, opens) => {
    const knockd = await Knockd.start(lab, conf(first, flags));
    try {
      const result = await runKnock(['-d', '300', SERVER_V4, token, '7000', '7001'], { netns: lab.client });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(await knockd.waitForFile('open-198.18.0.1', opens ? 5000 : 1500)).toBe(opens);
    } finally {
      knockd.stop();
    }
  });
});
