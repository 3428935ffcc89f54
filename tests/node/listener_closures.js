'use strict';
/* Closures kept by listeners: every request subscribes a listener to a
 * long-lived EventEmitter and never removes it; the closure keeps its
 * request's context alive, a record of 300 small JS objects (~25 KiB).
 * 100 requests/s: the JS heap grows by about 2.5 MiB/s, in objects that V8
 * marks one by one (unlike listener_leak.js's big arrays), so its full
 * collections come every few seconds of growth rather than at 4 times the
 * heap.  NODE_TEST_PER_TICK: requests per 10 ms tick (default 1).
 */
const EventEmitter = require('events');
const { serve, parseRequest } = require('./common');

const bus = new EventEmitter();
let handled = 0;

bus.setMaxListeners(0);	/* the leak is the point: no warning */

function subscribe(req) {
  const fields = [];

  for (let i = 0; i < 300; i++)
    fields.push({ i, name: 'f' + req.id + '.' + i });
  const ctx = { req, fields };

  bus.on('done', () => {	/* the leak: one listener per request, never removed */
    handled += ctx.fields.length;
  });
}

serve({ every: 10, perTick: +process.env.NODE_TEST_PER_TICK || 1,
        request: (id) => subscribe(parseRequest(id)) });
