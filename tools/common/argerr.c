#include "config.h"
#include "tools/common/argerr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int arg_error(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
    return -EINVAL;
}
