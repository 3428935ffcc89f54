'use strict';
/* A bounded LRU cache: not a leak.  Each entry is a rendered page: rows of
 * JS objects (~6 KiB) and an 8 KiB Buffer body.  Past MAX_ENTRIES the least
 * recently used entry goes, and its Buffer is reused for the newcomer (a
 * slab recycled, as caches of fixed-size bodies do).  It fills in about
 * two seconds (then says "filled") and holds: arrayBuffers stays flat, the
 * JS heap churns (evicted rows are garbage) and returns to its level after
 * each collection.
 */
const { serve, say, parseRequest } = require('./common');

const MAX_ENTRIES = 200;
const BODY_BYTES = 8 * 1024;
const cache = new Map();
let filled = false;

function render(req, body) {
  const rows = [];

  for (let i = 0; i < 80; i++)
    rows.push({ n: i, label: 'row ' + req.id + '.' + i, v: i * req.id });
  body.fill(req.id & 0xff);
  return { rows, etag: 'W/' + req.id, body };
}

function lookup(key, req) {
  let entry = cache.get(key), body;

  if (entry !== undefined) {
    cache.delete(key);	/* a hit: most recently used goes last */
    cache.set(key, entry);
    return entry;
  }
  if (cache.size >= MAX_ENTRIES) {
    const [oldest, evicted] = cache.entries().next().value;

    cache.delete(oldest);
    body = evicted.body;
  } else {
    body = Buffer.alloc(BODY_BYTES);
  }
  entry = render(req, body);
  cache.set(key, entry);
  if (!filled && cache.size >= MAX_ENTRIES) {
    filled = true;
    say('filled');
  }
  return entry;
}

/* Half the requests go to 50 hot pages, half to pages seen once. */
function handle(req) {
  return lookup(req.id % 2 ? 'hot-' + (req.id % 50) : 'page-' + req.id, req);
}

serve({ every: 10, perTick: 2, request: (id) => handle(parseRequest(id)) });
