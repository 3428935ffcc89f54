'use strict';
/* Does nothing: a timer keeps it alive.  No category may grow. */
const { serve } = require('./common');

serve({});
setInterval(() => {}, 1000);
