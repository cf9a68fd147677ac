// The per-destination lock under contention, counted on the wire: 20 rounds of 50 concurrent
// `knock -v -d 20 HOST P:udp P+1:udp P+2:udp` (each its own ports), HOST one of the server's
// addresses in several spellings (IPv4 and ::ffff:, IPv6 in upper case and zero padded,
// link-local with its %zone), the neighbour cache flushed before each round so its first
// datagram waits for ARP/ND. Goal: 0 interleaved, 0 missing. KNOCK_LOCK_ROUNDS, KNOCK_LOCK_RUNS
// for other sizes; KNOCK_LOCK_NEIGHBOURS=resolved to ping the server first instead.
import { ContentionLab, DESTINATIONS } from '../lib/lock-contention.mjs';
import { whyNoLab } from '../lib/lab.mjs';
import { table } from '../lib/stats.mjs';

const ROUNDS = Number(process.env.KNOCK_LOCK_ROUNDS) || 20;
const RUNS = Number(process.env.KNOCK_LOCK_RUNS) || 50;
const NEIGHBOURS = process.env.KNOCK_LOCK_NEIGHBOURS === 'resolved' ? 'resolved' : 'flushed';

/** Counters whose change accounts for a datagram lost between knock and tcpdump. */
const LOSS_COUNTERS = [
  'UdpSndbufErrors',
  'Udp6SndbufErrors',
  'IpOutDiscards',
  'Ip6OutDiscards',
  'IpOutNoRoutes',
  'Ip6OutNoRoutes',
  'veth0 tx dropped',
  'veth0 rx dropped',
  'IpInDiscards',
  'Ip6InDiscards',
  'arp unresolved_discards (all namespaces)',
  'ndisc unresolved_discards (all namespaces)',
];

const sum = (counters, names) => names.reduce((total, name) => total + (counters[name] ?? 0), 0);

export default async function lock(ctx) {
  const why = whyNoLab(['nstat']);
  if (why) return console.log(`   skipped: ${why}`);
  const lab = new ContentionLab('klk', ctx.knock);
  const rows = [['round', 'to', 'at tcpdump', 'missing', 'interleaved', 'out of order', 'failed', 'waited', 'client UDP out', 'server UDP in', 'tcpdump dropped', 'loss counters', 'text w/o UDP']];
  const details = [];
  const totals = { seen: 0, expected: 0, missing: 0, interleaved: 0, outOfOrder: 0, failed: 0, dropped: 0, text: 0 };
  try {
    console.log(`   ${ROUNDS} rounds x ${RUNS} concurrent runs of knock -v -d 20 HOST P:udp P+1:udp P+2:udp; neighbours ${NEIGHBOURS} before each round`);
    for (let round = 0; round < ROUNDS; round++) {
      const destination = DESTINATIONS[round % DESTINATIONS.length];
      const r = await lab.round({ runs: RUNS, base: 20000 + round * (3 * RUNS + 1) + 1, destination, neighbours: NEIGHBOURS });
      const losses = Object.entries({ ...r.counters.client, ...r.counters.server }).filter(([name]) => LOSS_COUNTERS.includes(name));
      rows.push([
        round + 1,
        destination.name,
        `${r.seen}/${r.expected}`,
        r.missing.length,
        r.interleaved,
        r.outOfOrder,
        r.failures.length + r.notSent.length,
        r.waited,
        sum(r.counters.client, ['UdpOutDatagrams', 'Udp6OutDatagrams']),
        sum(r.counters.server, ['UdpInDatagrams', 'UdpNoPorts', 'UdpInErrors', 'Udp6InDatagrams', 'Udp6NoPorts', 'Udp6InErrors']),
        r.tcpdump.dropped,
        losses.map(([n, v]) => `${n} +${v}`).join(', ') || '0',
        r.textWithoutUdp.length,
      ]);
      for (const line of [...r.failures, ...r.notSent, ...r.missing.map((p) => `missing port ${p}`), ...r.extra.map((e) => `extra ${e}`), ...r.textWithoutUdp]) {
        details.push(`round ${round + 1}: ${line}`);
      }
      if (!r.sentinelSeen) details.push(`round ${round + 1}: the sentinel never showed in the capture`);
      totals.seen += r.seen;
      totals.expected += r.expected;
      totals.missing += r.missing.length;
      totals.interleaved += r.interleaved;
      totals.outOfOrder += r.outOfOrder;
      totals.failed += r.failures.length + r.notSent.length;
      totals.dropped += r.tcpdump.dropped;
      totals.text += r.textWithoutUdp.length;
    }
    table(rows);
    for (const line of details) console.log(`   ${line}`);
    console.log('   (client UDP out and server UDP in count the sentinel datagram too: 3 x runs + 1 when none was lost)');
    console.log(
      `   total: ${totals.seen}/${totals.expected} datagrams, ${totals.missing} missing, ${totals.interleaved} interleaved, ${totals.outOfOrder} out of order, ${totals.failed} failed runs or not-sent knocks, tcpdump dropped ${totals.dropped}`,
    );
    console.log(`   tcpdump's text lines without "UDP" (a text parser would have lost them; the count above reads the bytes): ${totals.text}`);
  } finally {
    lab.destroy();
  }
}
