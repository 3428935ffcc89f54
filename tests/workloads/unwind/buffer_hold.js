'use strict';
/* Node.js: Buffers kept in an array, allocated in holdBuffer.  Run with
 * --perf-basic-prof: V8 names the code it compiles in /tmp/perf-PID.map.
 * holdBuffer is first called 5000 times with a size of 0 (no memory: an
 * empty Buffer has no backing store) so that V8 has compiled it, and its
 * frame is named, before it allocates.  Then, on stderr "ready pid=N"; on
 * stdin "go": 64 Buffers of 64 KiB through holdBuffer, kept, "done go";
 * "q" or the end of stdin: exit.  It exits by itself after 60 s.
 */
const fs = require('fs');

const COUNT = 64;
const SIZE = 64 * 1024;
const kept = [];

function holdBuffer(size) {
  const buf = Buffer.alloc(size);

  if (size)
    kept.push(buf);
  return buf.length;
}

function warmUp() {
  let n = 0;

  for (let i = 0; i < 5000; i++)
    n += holdBuffer(0);
  return n;
}

function retainAll() {
  for (let i = 0; i < COUNT; i++)
    holdBuffer(SIZE);
}

function say(line) {
  fs.writeSync(2, line + '\n');
}

warmUp();
setTimeout(() => process.exit(0), 60 * 1000);
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  let nl;

  pending += chunk;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const cmd = pending.slice(0, nl).trim();

    pending = pending.slice(nl + 1);
    if (cmd === 'q')
      process.exit(0);
    if (cmd === 'go') {
      retainAll();
      say('done go');
    }
  }
});
process.stdin.on('end', () => process.exit(0));
say('ready pid=' + process.pid);
