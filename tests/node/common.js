'use strict';
/* tests/node/common.js: what every script under tests/node/ shares.
 *
 * A script calls serve() with its "request" handler; the handler runs on a
 * timer (`every` ms, `perTick` requests each time).  The protocol, on
 * stdin and stderr, one line each:
 *   at start          stderr "ready pid=N script=NAME.js"
 *   "m" or "m TAG"    stderr "mem {json}" or "mem TAG {json}": the
 *                     process.memoryUsage() of that moment, taken and
 *                     written synchronously, and in "gc" the collections
 *                     node itself has seen so far ({"minor": scavenges,
 *                     "major": mark-compacts}, from perf_hooks: told a
 *                     little after each collection, so they may lag by one)
 *   "go"              start the requests, when NODE_TEST_GO=wait held them
 *   "q", or EOF       exit 0
 * A script exits by itself (0) after LIFETIME_MS whoever is listening, and
 * may say more (e.g. "filled") with say().  Environment: NODE_TEST_LIFETIME_S
 * sets that lifetime (default 60); NODE_TEST_GO=wait holds the requests
 * until "go" (a tracer attaches to an idle process first).
 */
const fs = require('fs');
const path = require('path');
const { PerformanceObserver, constants } = require('perf_hooks');

const LIFETIME_MS = (+process.env.NODE_TEST_LIFETIME_S || 60) * 1000;

function say(line) {
  fs.writeSync(2, line + '\n');	/* one write: whole lines on a shared pipe */
}

const gcSeen = { minor: 0, major: 0 };

function countCollections(list) {
  for (const entry of list.getEntries()) {
    const kind = entry.detail ? entry.detail.kind : entry.kind;

    if (kind === constants.NODE_PERFORMANCE_GC_MINOR)
      gcSeen.minor++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR)
      gcSeen.major++;
  }
}

function reportMemory(tag) {
  const mem = Object.assign(process.memoryUsage(), { gc: gcSeen });

  say('mem ' + (tag ? tag + ' ' : '') + JSON.stringify(mem));
}

let go = null;	/* starts the requests, when they wait for "go" */

function command(line) {
  const cmd = line.trim();

  if (cmd === 'q')
    process.exit(0);
  if (cmd === 'go' && go)
    go();
  if (cmd === 'm' || cmd.startsWith('m '))
    reportMemory(cmd.slice(2).trim());
}

/* A request as a server would see it: parsed from text, short-lived.  Its
 * garbage (a few KiB) keeps the young generation busy, so that V8
 * scavenges as it would in a real server.
 */
const HEADERS = {
  host: 'example.test', accept: 'application/json', 'user-agent': 'memleakbpf-test/1.0',
  'accept-encoding': 'gzip, deflate', 'x-request-id': '', cookie: 'a=1; b=2; c=3; d=4',
};

function parseRequest(id) {
  const text = JSON.stringify({ id, method: 'GET', url: '/items/' + id + '?page=' + (id % 7),
                                headers: Object.assign({}, HEADERS, { 'x-request-id': 'req-' + id }),
                                query: Array.from({ length: 16 }, (_, i) => 'q' + i + '=' + (id * i)) });

  return JSON.parse(text);
}

/* every: ms between ticks; perTick: requests per tick; request(id). */
function serve({ every = 10, perTick = 1, request }) {
  let next = 0, pending = '';

  new PerformanceObserver(countCollections).observe({ entryTypes: ['gc'] });
  go = () => {
    go = null;
    setInterval(() => {
      for (let i = 0; i < perTick; i++)
        request(next++);
    }, every);
  };
  if (!request)
    go = null;
  else if (process.env.NODE_TEST_GO !== 'wait')
    go();
  setTimeout(() => {
    say('lifetime over: exiting');
    process.exit(0);
  }, LIFETIME_MS);
  say('ready pid=' + process.pid + ' script=' + path.basename(require.main.filename));
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    let nl;

    pending += chunk;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);

      pending = pending.slice(nl + 1);
      command(line);
    }
  });
  process.stdin.on('end', () => {
    if (pending)
      command(pending);
    process.exit(0);
  });
}

module.exports = { serve, say, reportMemory, parseRequest };
