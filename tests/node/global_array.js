'use strict';
/* A global array that grows per request: every request's record (400
 * small JS objects, ~35 KiB) is pushed and never removed.  The JS heap
 * grows by about 3.5 MiB/s.
 */
const { serve, parseRequest } = require('./common');

const requestLog = [];

function logRequest(req) {
  const events = [];

  for (let i = 0; i < 400; i++)
    events.push({ at: i, name: 'ev' + req.id + '.' + i, ok: true });
  requestLog.push({ id: req.id, url: req.url, headers: req.headers, events });
}

serve({ every: 10, request: (id) => logRequest(parseRequest(id)) });
