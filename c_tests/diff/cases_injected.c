
/*
 * The read path's branches that Linux never takes on a unix socket, made
 * by c_tests/diff/inject.c: recvmsg() failing with EMSGSIZE or EMFILE (as
 * BSD and Solaris do when no descriptor slot is free: nginx's fd-table fix
 * then skips the message, U1), and control data of shapes the kernel does
 * not write, that tell which header field each read path trusts (U2, R5,
 * R6).  The message itself is real: 32 bytes are queued on the channel.
 */

#include "util.h"


/* queues a message with command, arms the injection, reads into a
   64-byte *ch filled with 0x11 */

static void
injected(impl_t *impl, obs_t *o, ngx_uint_t command, int err, void *ctl,
    size_t ctl_len, size_t size)
{
    int            s[2];
    ngx_channel_t  ch[2];

    channel(s, SOCK_STREAM);
    message(&ch[0], command, -1);
    raw_send(s[0], &ch[0], sizeof(ngx_channel_t), NULL, 0);

    ngx_memset(ch, 0x11, sizeof(ch));

    if (err) {
        inject_errno(err);
    }

    if (ctl) {
        inject_control(ctl, ctl_len);
    }

    errno = 0;
    o->rc = impl->read(s[1], &ch[0], size, &harness_log);
    o->err = errno;
    keep_ch(o, &ch[0], sizeof(ch));
    obs_trace(impl, "ngx_read_channel", o);

    if (o->rc > 0 && ch[0].command == NGX_CMD_OPEN_CHANNEL) {
        obs_fd(o, "ch.fd", ch[0].fd);
    }

    close_pair(s);
}


static void
emsgsize(impl_t *impl, obs_t *o)
{
    injected(impl, o, NGX_CMD_OPEN_CHANNEL, EMSGSIZE, NULL, 0,
             sizeof(ngx_channel_t));
}


static void
emfile(impl_t *impl, obs_t *o)
{
    injected(impl, o, NGX_CMD_OPEN_CHANNEL, EMFILE, NULL, 0,
             sizeof(ngx_channel_t));
}


static void
emsgsize_size_40(impl_t *impl, obs_t *o)
{
    /* the fd-table fix zeroes size bytes of *ch, not 32 */

    injected(impl, o, NGX_CMD_QUIT, EMSGSIZE, NULL, 0, 40);
}


/* a control header, and the int after it, as a sender of cmsg would */

typedef struct {
    struct cmsghdr  hdr;
    int             data[2];
} ctl_t;


/* an OPEN_CHANNEL whose control data is one header and the int after it,
   of which the first ctl_len bytes arrive */

static void
open_with_header(impl_t *impl, obs_t *o, size_t cmsg_len, int level,
    int type, int data, size_t ctl_len)
{
    ctl_t  c;

    ngx_memzero(&c, sizeof(ctl_t));
    c.hdr.cmsg_len = cmsg_len;
    c.hdr.cmsg_level = level;
    c.hdr.cmsg_type = type;
    c.data[0] = data;
    injected(impl, o, NGX_CMD_OPEN_CHANNEL, 0, &c, ctl_len,
             sizeof(ngx_channel_t));
}


static void
header_without_fd_slot(impl_t *impl, obs_t *o)
{
    /* msg_controllen 16: a header claiming an fd, but not the fd itself */

    open_with_header(impl, o, CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS,
                     0, sizeof(struct cmsghdr));
}


static void
header_shorter_than_an_fd(impl_t *impl, obs_t *o)
{
    /*
     * msg_controllen 24, but a header whose cmsg_len is 16: nginx 1.28
     * trusts cmsg_len (R5), the fd-table fix msg_controllen, and takes
     * the number after the header (999, no open file) as the fd (U2)
     */

    open_with_header(impl, o, CMSG_LEN(0), SOL_SOCKET, SCM_RIGHTS, 999,
                     sizeof(ctl_t));
}


static void
other_level_and_type(impl_t *impl, obs_t *o)
{
    /* an IP_TTL message where the fd should be: R6 on both read paths */

    open_with_header(impl, o, CMSG_LEN(sizeof(int)), IPPROTO_IP, IP_TTL, 64,
                     sizeof(ctl_t));
}


case_t  injected_cases[] = {
    { "R2_U1_emsgsize_no_fd_slot", emsgsize, 1, 0 },
    { "R2_U1_emfile_no_fd_slot", emfile, 1, 0 },
    { "R2_U1_emsgsize_size_40_zeroes_size_bytes", emsgsize_size_40, 1, 0 },
    { "R5_U2_H1_header_without_its_fd_slot", header_without_fd_slot, 1, 1 },
    { "R5_U2_header_shorter_than_an_fd", header_shorter_than_an_fd, 1, 0 },
    { "R6_U3_ip_ttl_in_place_of_the_fd", other_level_and_type, 1, 0 },
    { NULL, NULL, 0, 0 }
};
