/* user/util/format.h: human-readable sizes and durations for the text report. */
#ifndef FORMAT_H
#define FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "0 B", "812 B", "4.0 KiB", "212.0 MiB", "1.5 GiB" */
void format_bytes(char *buf, size_t len, uint64_t bytes);
/* Compact signed: "+0", "+812", "-4.0K", "+19.6M", "+1.5G" */
void format_bytes_signed(char *buf, size_t len, int64_t bytes);
/* "2,918" */
void format_count(char *buf, size_t len, int64_t n);
/* "61s", "12m05s", "3h02m" */
void format_age(char *buf, size_t len, double seconds);

#endif /* FORMAT_H */
