// The start-up bench's floor (bench/sections/30-startup.mjs): the system calls of `knock PROFILE`
// (one TCP knock to a closed loopback port) in the order knock makes them, through the same libuv
// handles (src/shared/handles.ts), with none of knock's own code around them: no command line, no
// trust rules, no validation, no plan. (knock makes about a dozen more, all repeats of these: its
// store name probes, a second look at the directories, the warm-up connect of knock/transport/tcp.ts.)
// Its time above `node -e 0` is what the kernel and Node's bindings take for that work; what knock
// takes above this is its own code.
//
// node startup-floor.cjs STORE LOCKDIR: STORE is a file whose first `open: [PORT]` names the port;
// LOCKDIR a private directory for the lock's socket. Exits 0 once the knock is answered.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [store, lockDir] = process.argv.slice(2);
// The store's directories, then the file, as the guarded read looks at them.
for (let dir = path.dirname(store); ; dir = path.dirname(dir)) {
  fs.lstatSync(dir);
  if (dir === path.dirname(dir)) break;
}
fs.lstatSync(store);
const fd = fs.openSync(store, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
fs.fstatSync(fd);
const bytes = Buffer.alloc(4096);
const length = fs.readSync(fd, bytes, 0, bytes.length, 0);
fs.closeSync(fd);
const port = Number(/open: \[(\d+)/.exec(bytes.toString('utf8', 0, length))?.[1]);
if (!(port > 0)) throw new Error(`no port in ${store}`);

// The sequence lock: a listening Unix socket, linked to the address's name.
const pipe = process.binding('pipe_wrap');
const tcp = process.binding('tcp_wrap');
fs.lstatSync(lockDir);
const server = new pipe.Pipe(pipe.constants.SERVER);
const temporary = path.join(lockDir, `.${process.pid}`);
const lock = path.join(lockDir, '127.0.0.1.lock');
if (server.bind(temporary) !== 0 || server.listen(511) !== 0) throw new Error(`cannot listen at ${temporary}`);
fs.linkSync(temporary, lock);
fs.unlinkSync(temporary);

// The knock: one SYN, answered by the kernel's RST.
const handle = new tcp.TCP(tcp.constants.SOCKET);
const request = new tcp.TCPConnectWrap();
const t0 = process.hrtime.bigint();
request.oncomplete = () => {
  handle.close();
  fs.unlinkSync(lock);
  server.close();
  fs.writeSync(1, `knocked lo: 1 knock in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms\n`);
};
if (handle.connect(request, '127.0.0.1', port) !== 0) throw new Error('connect failed at once');
