// The per-destination sequence lock on the wire: N runs of `knock -v -d 20 HOST P:udp P+1:udp
// P+2:udp` at once, each its own three ports and HOST one address in several spellings, with
// tcpdump -w at the server. From the capture's bytes: each run's datagrams must arrive whole and
// in order, none between another run's (interleaved), and every one (missing). Around each round
// the counters that say where a lost datagram went: tcpdump's own drop count, nstat in both
// namespaces, the veth drops and the neighbour tables' unresolved_discards.
// Used by bench section 55-lock (20 rounds) and the namespace e2e test (a few).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lab, SERVER_V4, SERVER_V6 } from './lab.mjs';
import { readPcap } from './pcap.mjs';

export const CLIENT_LINK_LOCAL = 'fe80::1';
export const SERVER_LINK_LOCAL = 'fe80::2';

/**
 * The server's three addresses, each with the spellings knock must take for one lock: case,
 * zero padding, IPv4 as ::ffff: (dotted and hex), link-local with its %zone. `wire` is the
 * destination as the capture reads it.
 */
export const DESTINATIONS = [
  { name: 'IPv4', wire: SERVER_V4, ping: [SERVER_V4], spellings: [SERVER_V4, `::ffff:${SERVER_V4}`, `::FFFF:${SERVER_V4}`, '::ffff:c612:2'] },
  {
    name: 'IPv6',
    wire: '2001:db8:0:1:0:0:0:2',
    ping: ['-6', SERVER_V6],
    spellings: [SERVER_V6, SERVER_V6.toUpperCase(), '2001:0db8:0000:0001:0000:0000:0000:0002', '2001:db8:0:1:0:0:0:2'],
  },
  {
    name: 'link-local',
    wire: 'fe80:0:0:0:0:0:0:2',
    ping: ['-6', `${SERVER_LINK_LOCAL}%veth0`],
    spellings: ['fe80::2%veth0', 'FE80::2%veth0', 'fe80:0000:0000:0000:0000:0000:0000:0002%veth0', 'fe80:0:0:0::2%veth0'],
  },
];

/** The ports of run i: three each, from `base`. */
export const portsOf = (base, i) => [base + 3 * i, base + 3 * i + 1, base + 3 * i + 2];

/** How long the sentinel may take to show in the capture once every run has ended. */
const SENTINEL_BOUND_MS = 20_000;

export class ContentionLab {
  constructor(prefix = 'klk', knock) {
    this.knock = knock;
    this.lab = new Lab(prefix);
    this.home = mkdtempSync(path.join(os.tmpdir(), 'knock-lock-home-'));
    // One runtime directory for every run: one lock directory, as one user's runs share.
    this.runtime = path.join(this.home, 'run');
    mkdirSync(this.runtime, { mode: 0o700 });
    mkdirSync(path.join(this.home, '.config', 'knock'), { recursive: true });
    writeFileSync(path.join(this.home, '.config', 'knock', 'config.yaml'), 'profiles: {}\n', { mode: 0o600 });
    try {
      // Link-local addresses of our choosing (the kernel's own would wait for DAD).
      for (const [ns, address] of [
        [this.lab.client, CLIENT_LINK_LOCAL],
        [this.lab.server, SERVER_LINK_LOCAL],
      ]) {
        this.lab.exec(ns, ['ip', '-6', 'addr', 'flush', 'dev', 'veth0', 'scope', 'link']);
        this.lab.exec(ns, ['ip', '-6', 'addr', 'add', `${address}/64`, 'dev', 'veth0', 'nodad']);
      }
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  /**
   * One round: `runs` knocks at once to `destination`, spellings taken in turn, ports from
   * `base`. `neighbours: 'flushed'` forgets the server's link-layer address first, so the first
   * datagram waits for ARP or ND (the worst case for the kernel's queue); 'resolved' pings it.
   */
  async round({ runs, base, destination, delayMs = 20, neighbours = 'flushed' }) {
    const { lab } = this;
    const { spellings } = destination;
    if (neighbours === 'flushed') lab.exec(lab.client, ['ip', 'neigh', 'flush', 'dev', 'veth0']);
    else lab.exec(lab.client, ['ping', '-c', '1', '-W', '2', ...destination.ping]);
    const before = this.counters();
    const file = path.join(this.home, `round-${base}.pcap`);
    const tcpdump = await startTcpdump(lab, file, `udp and dst host ${destination.wire}`);
    const results = await Promise.all(
      Array.from({ length: runs }, (_, i) => this.run(['-v', '-d', String(delayMs), spellings[i % spellings.length], ...portsOf(base, i).map((p) => `${p}:udp`)])),
    );
    // Every run has ended, so every datagram of theirs has left: one more, then wait to see it.
    const sentinel = base - 1;
    const sentinelSeen = await this.sentinel(spellings[0], sentinel, file);
    const stats = await tcpdump.stop();
    const after = this.counters();
    const packets = readPcap(readFileSync(file)).filter((p) => p.proto === 'udp' && p.dst === destination.wire);
    const analysis = analyse(packets, base, runs);
    const text = textWithoutUdp(lab, file);
    rmSync(file, { force: true });
    return {
      destination: destination.name,
      spellings,
      runs,
      ...analysis,
      failures: results.flatMap((r, i) => (r.code === 0 ? [] : [`run ${i} (${spellings[i % spellings.length]}) exited ${r.code}: ${r.stderr.trim()}`])),
      // What -v said came back other than "sent" or "refused": a datagram the kernel let go of.
      notSent: results.flatMap((r, i) => r.stderr.split('\n').filter((l) => /: (not-sent|unreachable)/.test(l)).map((l) => `run ${i}: ${l}`)),
      waited: results.filter((r) => r.stderr.includes('waiting')).length,
      sentinelSeen,
      tcpdump: stats,
      textWithoutUdp: text,
      counters: difference(before, after),
    };
  }

  /** bin/knock in the client namespace with the lab's HOME; resolves with its exit and stderr. */
  run(args) {
    return new Promise((resolve) => {
      const child = spawn('ip', ['netns', 'exec', this.lab.client, process.execPath, this.knock, ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { PATH: process.env.PATH, HOME: this.home, XDG_CONFIG_HOME: path.join(this.home, '.config'), XDG_RUNTIME_DIR: this.runtime, CI: '1' },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      child.on('close', (code, signal) => resolve({ code: code ?? signal, stderr }));
    });
  }

  /** One datagram to `port` (a second one each second, bounded) until the capture holds it. */
  async sentinel(to, port, file) {
    const started = Date.now();
    for (let sent = 0; Date.now() - started < SENTINEL_BOUND_MS; ) {
      if (Date.now() - started >= sent * 1000) {
        execFileSync('ip', ['netns', 'exec', this.lab.client, process.execPath, '-e', SEND_ONE, to, String(port)], { stdio: 'ignore' });
        sent++;
      }
      let bytes;
      try {
        bytes = readFileSync(file);
      } catch {
        bytes = Buffer.alloc(0);
      }
      if (readPcap(bytes).some((p) => p.dport === port)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** The counters that account for a datagram between knock's send and tcpdump. */
  counters() {
    const { lab } = this;
    return {
      client: { ...nstat(lab, lab.client), ...linkDrops(lab, lab.client), ...neighbourDiscards() },
      server: { ...nstat(lab, lab.server), ...linkDrops(lab, lab.server) },
    };
  }

  destroy() {
    this.lab.destroy();
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Sends one 0x00 datagram to argv's host and port from a socket of its family. */
const SEND_ONE = `const d=require('node:dgram');const [h,p]=process.argv.slice(1);const s=d.createSocket(h.includes(':')?'udp6':'udp4');s.send(Buffer.of(0),Number(p),h,()=>s.close());`;

/** tcpdump -w at the server, started once it says "listening on"; stop() returns its counts. */
async function startTcpdump(lab, file, filter) {
  const child = spawn('ip', ['netns', 'exec', lab.server, 'tcpdump', '-i', 'veth0', '-n', '--immediate-mode', '-U', '-w', file, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  lab.children.push(child);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    child.stderr.on('data', () => {
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`tcpdump exited: ${err}`)));
  });
  return {
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
      const count = (what) => Number(new RegExp(`(\\d+) packets? ${what}`).exec(err)?.[1] ?? NaN);
      return { captured: count('captured'), received: count('received by filter'), dropped: count('dropped by kernel') };
    },
  };
}

/** Missing, extra and interleaved runs, read in capture order. */
export function analyse(packets, base, runs) {
  const ours = packets.filter((p) => p.dport >= base && p.dport < base + 3 * runs);
  const seen = new Map();
  for (const p of ours) seen.set(p.dport, (seen.get(p.dport) ?? 0) + 1);
  const missing = [];
  for (let i = 0; i < runs; i++) for (const port of portsOf(base, i)) if (!seen.has(port)) missing.push(port);
  const owner = (port) => Math.floor((port - base) / 3);
  let interleaved = 0;
  let outOfOrder = 0;
  for (let run = 0; run < runs; run++) {
    const at = ours.flatMap((p, i) => (owner(p.dport) === run ? [i] : []));
    if (at.length > 0 && at.at(-1) - at[0] !== at.length - 1) interleaved++;
    const ports = at.map((i) => ours[i].dport);
    if (ports.some((port, i) => i > 0 && port <= ports[i - 1])) outOfOrder++;
  }
  const extra = [...seen].filter(([, n]) => n > 1).map(([port, n]) => `${port} x${n}`);
  return { expected: 3 * runs, seen: ours.length, missing, extra, interleaved, outOfOrder };
}

/** What tcpdump's text shows of the file without the word UDP (how a text parser loses one). */
function textWithoutUdp(lab, file) {
  const text = execFileSync('tcpdump', ['-n', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return text.split('\n').filter((l) => l && !/\bUDP\b/.test(l));
}

function nstat(lab, ns) {
  const out = lab.exec(ns, ['nstat', '-asz']);
  const counters = {};
  for (const line of out.split('\n')) {
    const m = /^(\w+)\s+(\d+)/.exec(line);
    if (m) counters[m[1]] = Number(m[2]);
  }
  return counters;
}

function linkDrops(lab, ns) {
  const [link] = JSON.parse(lab.exec(ns, ['ip', '-s', '-j', 'link', 'show', 'veth0']));
  return { 'veth0 rx dropped': link.stats64.rx.dropped, 'veth0 tx dropped': link.stats64.tx.dropped };
}

/**
 * unresolved_discards of the ARP and ND tables: the datagrams dropped from a neighbour's queue
 * while it resolved. The kernel counts them for all namespaces at once, and shows them only in
 * the first namespace's /proc (this process's).
 */
function neighbourDiscards() {
  const sum = (table) => {
    const [header, ...rows] = readFileSync(`/proc/net/stat/${table}`, 'utf8').trim().split('\n');
    const column = header.trim().split(/\s+/).indexOf('unresolved_discards');
    return rows.reduce((total, row) => total + parseInt(row.trim().split(/\s+/)[column], 16), 0);
  };
  return { 'arp unresolved_discards (all namespaces)': sum('arp_cache'), 'ndisc unresolved_discards (all namespaces)': sum('ndisc_cache') };
}

/** The counters that changed, after minus before. */
function difference(before, after) {
  const out = {};
  for (const side of ['client', 'server']) {
    out[side] = {};
    for (const [name, value] of Object.entries(after[side])) {
      const delta = value - (before[side][name] ?? 0);
      if (delta !== 0) out[side][name] = delta;
    }
  }
  return out;
}
