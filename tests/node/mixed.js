'use strict';
/* Two leaks at once: per request a 16 KiB Buffer kept in a cache (off-heap,
 * ~1.6 MiB/s) and a record of 300 small JS objects pushed on a global list
 * (JS heap, ~2 MiB/s).
 */
const { serve, parseRequest } = require('./common');

const bodies = new Map();
const history = [];

function keepBody(req) {
  bodies.set(req.id, Buffer.alloc(16 * 1024, 1));
}

function keepRecord(req) {
  const fields = [];

  for (let i = 0; i < 300; i++)
    fields.push({ i, name: 'f' + req.id + '.' + i });
  history.push({ id: req.id, fields });
}

serve({ every: 10, request: (id) => { const req = parseRequest(id); keepBody(req); keepRecord(req); } });
