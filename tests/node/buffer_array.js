'use strict';
/* Buffers retained in a global array: every 50 ms sixteen 16 KiB Buffers
 * are pushed and never removed, about 5 MiB/s of arrayBuffers.  The JS
 * heap holds only the array and the Buffer objects.
 */
const { serve } = require('./common');

const kept = [];

function keep(id) {
  kept.push(Buffer.alloc(16 * 1024, id & 0xff));
}

serve({ every: 50, perTick: 16, request: keep });
