// A bounded flood of first knocks from many distinct IPv6 sources, for `knock serve` under load.
// Runs inside a lab namespace where net.ipv6.ip_nonlocal_bind=1 (what IPV6_FREEBIND does for
// one socket, which Node cannot set), so each datagram can come from an address of its own.
// argv[2] is JSON: { server, port, prefix, initial, initialRatePerSec, more, ratePerSec, maxSeconds, minSeconds?, probe? }.
// With probe: { ports, prefix, everyMs }, a whole open sequence from a fresh source of
// probe.prefix every everyMs while more sources arrive, each reported as a JSON line
// { probe: SOURCE, sentAt: wall-clock ms after its last knock left }.
// Prints one JSON line when the `initial` sources are in ("ready") and one at the end ("done");
// it stops by itself after `more` further sources or `maxSeconds`, whichever comes first.
import dgram from 'node:dgram';

const cfg = JSON.parse(process.argv[2]);
const hardStop = setTimeout(() => {
  console.log(JSON.stringify({ phase: 'done', reason: 'maxSeconds' }));
  process.exit(0);
}, cfg.maxSeconds * 1000);
hardStop.unref();

/** The i-th source: PREFIX (a /64 ending in "::") + two groups of i. */
const source = (i) => `${cfg.prefix}${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`;

function knockFrom(i) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp6');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(0, source(i), () => {
      socket.send(Buffer.of(0), cfg.port, cfg.server, (error) => {
        socket.close();
        resolve(!error);
      });
    });
  });
}

let sent = 0;
let failed = 0;
const t0 = Date.now();
/** Sources from..to, paced in 10 ms ticks at `rate` per second. */
async function paced(from, to, rate) {
  const perTick = Math.max(1, Math.round(rate / 100));
  for (let next = from; next < to; ) {
    const tick = Date.now();
    const batch = [];
    for (let j = 0; j < perTick && next < to; j++) batch.push(knockFrom(next++));
    for (const ok of await Promise.all(batch)) ok ? sent++ : failed++;
    await new Promise((r) => setTimeout(r, Math.max(0, 10 - (Date.now() - tick))));
  }
}

// Faster than this, a Node receiver's socket buffer (net.core.rmem_default) overflows: that
// measures the kernel's buffer, not knock serve.
await paced(0, cfg.initial, cfg.initialRatePerSec);
console.log(JSON.stringify({ phase: 'ready', sent, failed, ms: Date.now() - t0 }));
let probing;
if (cfg.probe) {
  let k = 0;
  const probeOnce = async () => {
    const src = `${cfg.probe.prefix}${(++k).toString(16)}`;
    const socket = dgram.createSocket('udp6');
    await new Promise((r) => socket.bind(0, src, r));
    for (const port of cfg.probe.ports) await new Promise((r) => socket.send(Buffer.of(0), port, cfg.server, r));
    const sentAt = performance.timeOrigin + performance.now();
    socket.close();
    console.log(JSON.stringify({ probe: src, sentAt }));
  };
  probing = setInterval(() => void probeOnce(), cfg.probe.everyMs);
}
// Then more new sources at a steady rate (and, with minSeconds, probes alone until then).
await paced(cfg.initial, cfg.initial + cfg.more, cfg.ratePerSec);
while (Date.now() - t0 < (cfg.minSeconds ?? 0) * 1000) await new Promise((r) => setTimeout(r, 50));
clearInterval(probing);
console.log(JSON.stringify({ phase: 'done', sent, failed, ms: Date.now() - t0 }));
setTimeout(() => process.exit(0), 200);
