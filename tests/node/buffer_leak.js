'use strict';
/* A Buffer kept in a cache without bound: every request stores its 64 KiB
 * body under a key nobody deletes.  50 requests/s: off-heap (ArrayBuffer)
 * memory grows by about 3 MiB/s; the JS heap hardly grows.  leakBuffer is
 * the function a profile must name (run node with --perf-basic-prof): V8
 * compiles it to baseline code within a second and, at this rate, inlines
 * it into its caller only after 20 s or so.
 */
const { serve, parseRequest } = require('./common');

const BODY_BYTES = 64 * 1024;
const sessions = new Map();

function leakBuffer(req) {
  const body = Buffer.alloc(BODY_BYTES, req.id & 0xff);

  sessions.set(req.headers['x-request-id'], body);
  return body.length;
}

serve({ every: 20, request: (id) => leakBuffer(parseRequest(id)) });
