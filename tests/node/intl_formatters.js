'use strict';
/* A native leak in node itself, with no addon: date formatters cached per
 * key, the key never repeating (a user id where a locale and time zone were
 * meant).  Each Intl.DateTimeFormat holds ICU's formatter, some 60 KiB that
 * ICU allocates with operator new, outside the V8 heap and Buffers; the
 * JS object that keeps it is about 1 KiB.  Every 50 ms FORMATTERS_PER_TICK
 * are made and kept.  Like a server, it also parses requests (young
 * garbage) and keeps a bounded Buffer cache (lru_buffers.js's), so that V8
 * runs full collections as it would there.
 */
const { serve, parseRequest } = require('./common');

const PER_TICK = +process.env.NODE_TEST_PER_TICK || 3;
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'];
const formatters = new Map();
const bodies = new Map();
let tick = 0;

function request(id) {
  const req = parseRequest(id);

  bodies.set(id, Buffer.alloc(16 * 1024, id & 0xff));
  while (bodies.size > 300)
    bodies.delete(bodies.keys().next().value);
  if (id % 20 === 0) {
    for (let i = 0; i < PER_TICK; i++, tick++) {
      const key = req.headers['x-request-id'] + '/' + i;

      formatters.set(key, new Intl.DateTimeFormat('en-US', { timeZone: ZONES[tick % ZONES.length],
                                                              hour: 'numeric', minute: '2-digit' }));
    }
  }
}

serve({ every: 50, perTick: 20, request });
