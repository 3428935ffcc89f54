'use strict';
/* An unbounded queue whose producer outruns its consumer: 150 jobs in,
 * 40 out every 10 ms.  The backlog (JS objects, ~0.3 KiB a job) grows by
 * about 3.5 MiB/s.
 */
const { serve } = require('./common');

const queue = [];
let done = 0;

function produce(id) {
  for (let i = 0; i < 150; i++)
    queue.push({ id: id * 150 + i, kind: 'resize', args: ['img-' + id + '-' + i, 640, 480],
                 meta: { tries: 0, owner: 'user' + (i % 13), note: 'job ' + id + '/' + i } });
}

function consume() {
  for (let i = 0; i < 40 && queue.length; i++) {
    const job = queue.shift();

    done += job.args[1] > 0 ? 1 : 0;
  }
}

serve({ every: 10, request: (id) => { produce(id); consume(); } });
