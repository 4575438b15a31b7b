
/*
 * recvmsg() as every object of the harness calls it, nginx's C and ours
 * alike (the harness is linked with -Wl,--wrap=recvmsg): the real one,
 * unless a case asked for what Linux never does to a unix socket: fail
 * with EMSGSIZE or EMFILE (BSD and Solaris do when no descriptor slot is
 * free), or hand back control data of a shape of the case's choosing.
 * Either is one-shot: the next call only.  Injected control data is
 * written over a zeroed buffer: what lies beyond msg_controllen is 0.
 */

#include "util.h"


ssize_t __real_recvmsg(int s, struct msghdr *msg, int flags);
ssize_t __wrap_recvmsg(int s, struct msghdr *msg, int flags);


static int     fail_with;
static u_char  control[64];
static size_t  control_len;
static int     control_armed;


void
inject_errno(int err)
{
    fail_with = err;
}


void
inject_control(void *data, size_t len)
{
    ngx_memcpy(control, data, ngx_min(len, sizeof(control)));
    control_len = ngx_min(len, sizeof(control));
    control_armed = 1;
}


ssize_t
__wrap_recvmsg(int s, struct msghdr *msg, int flags)
{
    size_t   len, room;
    ssize_t  n;

    if (fail_with) {
        errno = fail_with;
        fail_with = 0;
        return -1;
    }

    room = msg->msg_controllen;
    n = __real_recvmsg(s, msg, flags);

    if (n >= 0 && control_armed) {
        control_armed = 0;
        len = ngx_min(control_len, room);
        ngx_memzero(msg->msg_control, room);
        ngx_memcpy(msg->msg_control, control, len);
        msg->msg_controllen = len;
    }

    return n;
}
