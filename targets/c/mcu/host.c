/* Output and exit for lstm-gen's host test harness (stdout). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

void lstmgen_write(const char *s, size_t n);
void lstmgen_exit(int code);

void lstmgen_write(const char *s, size_t n)
{
    (void)fwrite(s, 1, n, stdout);
}

void lstmgen_exit(int code)
{
    (void)fflush(stdout);
    exit(code);
}
