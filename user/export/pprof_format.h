/* user/export/pprof_format.h: what the pprof writer and reader share (internal).
 *
 * Short names for the protobuf-c types generated from proto/profile.proto,
 * the sample types in Go's heap-profile order, and the names made up for
 * frames without a symbol.
 */
#ifndef PPROF_FORMAT_H
#define PPROF_FORMAT_H

#include "profile.pb-c.h"
#include "export/profile.h"

/* The generated names are long. */
typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* Sample types in Go's heap-profile order; values[] of a sample follow it. */
static const struct {
	const char *type, *unit;
	enum metric metric;
} sample_types[] = {
	{ "alloc_objects", "count", METRIC_ALLOCS },
	{ "alloc_space", "bytes", METRIC_ALLOC_BYTES },
	{ "inuse_objects", "count", METRIC_COUNT },
	{ "inuse_space", "bytes", METRIC_OUTSTANDING },
};

#define NSAMPLE_TYPES (sizeof(sample_types) / sizeof(sample_types[0]))
#define DEFAULT_SAMPLE_TYPE "inuse_space"
#define NO_STACK "[no stack]"	/* the one location of a stack without frames */
#define NAME_LEN 64		/* profile_frame_name()'s buffer, as profile.c gives it */

#endif /* PPROF_FORMAT_H */
