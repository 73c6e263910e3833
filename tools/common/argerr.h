/* Argument and config errors as the tools report them: the message goes
 * into the caller's buffer and -EINVAL comes back, so that a parser of
 * hostile input says what is wrong in one line:
 *     return arg_error(err, err_len, "sbdf: '%s' is not SSSS:BB:DD.F", val); */
#ifndef XENGVT_TOOLS_COMMON_ARGERR_H
#define XENGVT_TOOLS_COMMON_ARGERR_H

#include <stddef.h>

int arg_error(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
