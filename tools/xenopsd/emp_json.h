/* EMP requests as emu-manager sends them: JSON objects back to back on a
 * stream, no newline between them,
 *   { "execute" : "migrate_init" }
 *   { "execute" : "set_args", "arguments" : { "vgpu": true } }
 * A strict, bounded reader: it validates the whole object (nesting at most
 * 8 deep) and keeps only the top-level "execute" string. */
#ifndef XENGVT_XENOPSD_EMP_JSON_H
#define XENGVT_XENOPSD_EMP_JSON_H

#include <stddef.h>

#define EMP_EXECUTE_MAX 32

/* One object at the start of buf (after whitespace). 1: complete, its
 * bytes (and leading whitespace) counted in *consumed, the "execute"
 * value in execute ("" if absent or not a string); 0: incomplete, more
 * bytes needed (*consumed is the whitespace that can go); -EINVAL:
 * malformed or too deep. */
int emp_json_scan(const char *buf, size_t len, size_t *consumed, char *execute, size_t cap);

#endif
