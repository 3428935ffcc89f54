/* user/report/collect.h: turn the tracer's state into a report (user/report/model.h).
 *
 * collector__collect() drains pending events, reads the maps, computes
 * growth since the previous report, ranks and symbolises the top stacks
 * and judges each process's trend.  collector__done(), after the report
 * has been rendered, lets processes that exited leave the maps.
 */
#ifndef COLLECT_H
#define COLLECT_H

#include <stdbool.h>
#include "report/model.h"
#include "trace/tracer.h"

struct collector;

struct collector *collector__new(struct tracer *t, const struct options *opts);
void collector__free(struct collector *c);	/* accepts NULL */
/* With all, reports carry every stack seen (report.nprofile), symbolised,
 * for the exports; otherwise only the top ones shown.
 */
void collector__want_all(struct collector *c, bool all);
int collector__collect(struct collector *c, bool final, struct report *out);
void collector__done(struct collector *c, const struct report *r);

#endif /* COLLECT_H */
