
/*
 * include/ngx_channel.h inside an nginx translation unit, after nginx's own
 * headers including its ngx_channel.h: nginx's types are used, and each of
 * our prototypes redeclares nginx's, so any difference in a parameter or
 * return type is a compile error.  The _Static_asserts compare nginx's real
 * ngx_channel_t and constants with what the library was written for.
 * Compiled with the include flags of a configured nginx (objs/Makefile).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_channel.h>

#include "../include/ngx_channel.h"


_Static_assert(sizeof(ngx_channel_t) == 4 * sizeof(void *), "four words");
_Static_assert(offsetof(ngx_channel_t, command) == 0, "command at 0");
_Static_assert(offsetof(ngx_channel_t, pid) == sizeof(void *), "pid, word 1");
_Static_assert(offsetof(ngx_channel_t, slot) == 2 * sizeof(void *), "slot, word 2");
_Static_assert(offsetof(ngx_channel_t, fd) == 3 * sizeof(void *), "fd, word 3");
_Static_assert(NGX_CMD_OPEN_CHANNEL == 1 && NGX_CMD_CLOSE_CHANNEL == 2
               && NGX_CMD_QUIT == 3 && NGX_CMD_TERMINATE == 4
               && NGX_CMD_REOPEN == 5, "commands");
_Static_assert(NGX_OK == 0 && NGX_ERROR == -1 && NGX_AGAIN == -2, "codes");


int
main(void)
{
    return 0;
}
