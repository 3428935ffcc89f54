'use strict';
/* A closure captured by an EventEmitter listener added per request and
 * never removed: each listener keeps its request's context alive, a big
 * object (an array of 20000 numbers, ~160 KiB: V8 puts it straight in its
 * large-object space, so the heap grows with every request, not only when
 * the young generation is evacuated).  25 requests/s: the JS heap grows by
 * about 4 MiB/s.  Node warns with MaxListenersExceededWarning at the 11th
 * listener.
 */
const EventEmitter = require('events');
const { serve, parseRequest } = require('./common');

const bus = new EventEmitter();
let shutdowns = 0;

function makeContext(req) {
  const history = new Array(20000);

  for (let i = 0; i < history.length; i++)
    history[i] = (req.id + i) & 0xffff;
  return { req, history, started: Date.now() };
}

function subscribe(req) {
  const ctx = makeContext(req);

  bus.on('shutdown', () => {	/* the leak: one listener per request, never removed */
    shutdowns += ctx.history.length;
  });
}

serve({ every: 40, request: (id) => subscribe(parseRequest(id)) });
