'use strict';
/* A bounded cache of Buffers: not a leak.  Every 50 ms 20 entries go in,
 * each a 16 KiB Buffer and a small object; past 300 entries the oldest
 * goes.  arrayBuffers holds about 5 MiB of live bodies, but the evicted
 * ones are garbage that V8 returns only when it collects them: entries
 * that outlived two scavenges were promoted and wait for a full
 * collection, so between full collections arrayBuffers climbs by tens of
 * MiB, and drops back after each.
 */
const { serve, say } = require('./common');

const MAX_ENTRIES = 300;
const cache = new Map();
let filled = false;

function put(id) {
  cache.set('k' + id, { body: Buffer.alloc(16 * 1024, id & 0xff), meta: { id, at: Date.now() } });
  while (cache.size > MAX_ENTRIES)
    cache.delete(cache.keys().next().value);
  if (!filled && cache.size === MAX_ENTRIES) {
    filled = true;
    say('filled');
  }
}

serve({ every: 50, perTick: 20, request: put });
