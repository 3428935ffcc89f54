/* user/report/report.h: the renderers of a report (user/report/model.h): text for people,
 * NDJSON for programs.  Both read the same struct and write to a FILE.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>
#include "report/model.h"

/* The "schema" of every NDJSON object memleakbpf writes (docs/json.md).
 * Bump it when a field is renamed or removed, or changes type, unit or
 * meaning; adding a field, an object type or an enumeration value does not.
 */
#define REPORT_JSON_SCHEMA 1

void report__print_text(const struct report *r, FILE *out);
/* One line: {"type": "report", "schema": 1, ...}\n.  Returns 0 or -errno. */
int report__print_json(const struct report *r, FILE *out);

#endif /* REPORT_H */
