
/*
 * Helpers shared by the case files.
 */

#include "util.h"


/* a non-blocking pair, as ngx_spawn_process() makes nginx's channels */

int
channel(int fds[2], int type)
{
    if (socketpair(AF_UNIX, type, 0, fds) == -1) {
        perror("socketpair");
        exit(2);
    }

    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);

    return 0;
}


void
close_pair(int fds[2])
{
    close(fds[0]);
    close(fds[1]);
}


/* a message as nginx's callers build it: zeroed first */

void
message(ngx_channel_t *ch, ngx_uint_t command, int fd)
{
    ngx_memzero(ch, sizeof(ngx_channel_t));
    ch->command = command;
    ch->pid = 4242;
    ch->slot = 7;
    ch->fd = fd;
}


/* receives one message raw; records bytes and the fds that came along */

void
peer_recv(obs_t *o, int s)
{
    int              *fdp, i, n;
    char              what[16];
    ssize_t           got;
    struct iovec      iov;
    struct msghdr     msg;
    struct cmsghdr   *cm;
    union {
        struct cmsghdr  cm;
        char            space[CMSG_SPACE(4 * sizeof(int))];
    } cmsg;

    ngx_memzero(&msg, sizeof(struct msghdr));
    ngx_memzero(&cmsg, sizeof(cmsg));
    iov.iov_base = o->peer;
    iov.iov_len = sizeof(o->peer);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &cmsg;
    msg.msg_controllen = sizeof(cmsg);

    got = recvmsg(s, &msg, 0);
    o->peer_n = got;

    n = 0;

    for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
            continue;
        }

        fdp = (int *) CMSG_DATA(cm);

        for (i = 0; (size_t) i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
             i++)
        {
            snprintf(what, sizeof(what), "peer%d", n++);
            obs_fd(o, what, fdp[i]);
            close(fdp[i]);
        }
    }
}


void
raw_send(int s, void *data, size_t len, int *fds, int nfds)
{
    struct iovec     iov;
    struct msghdr    msg;
    union {
        struct cmsghdr  cm;
        char            space[CMSG_SPACE(4 * sizeof(int))];
    } cmsg;

    ngx_memzero(&msg, sizeof(struct msghdr));
    ngx_memzero(&cmsg, sizeof(cmsg));
    iov.iov_base = data;
    iov.iov_len = len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;

    if (nfds) {
        msg.msg_control = &cmsg;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        cmsg.cm.cmsg_len = CMSG_LEN(nfds * sizeof(int));
        cmsg.cm.cmsg_level = SOL_SOCKET;
        cmsg.cm.cmsg_type = SCM_RIGHTS;
        ngx_memcpy(CMSG_DATA(&cmsg.cm), fds, nfds * sizeof(int));
    }

    if (sendmsg(s, &msg, 0) != (ssize_t) len) {
        perror("raw_send");
        exit(2);
    }
}


void
keep_ch(obs_t *o, ngx_channel_t *ch, size_t len)
{
    o->ch_len = ngx_min(len, sizeof(o->ch));
    ngx_memcpy(o->ch, ch, o->ch_len);
}


/* one call through impl, its result and errno recorded, one TRACE line */

void
traced_write(impl_t *impl, obs_t *o, int s, ngx_channel_t *ch, size_t size)
{
    errno = 0;
    o->rc = impl->write(s, ch, size, &harness_log);
    o->err = errno;
    obs_trace(impl, "ngx_write_channel", o);
}


void
traced_read(impl_t *impl, obs_t *o, int s, ngx_channel_t *ch, size_t size)
{
    errno = 0;
    o->rc = impl->read(s, ch, size, &harness_log);
    o->err = errno;
    obs_trace(impl, "ngx_read_channel", o);
}
