
/*
 * ngx_read_channel cases: CONTRACT R1-R10, L1-L3, and round trips between
 * the two implementations.
 */

#include "util.h"


/* reads one message into a fresh, recognisable *ch */

static void
read_into(impl_t *impl, obs_t *o, int s, size_t size)
{
    ngx_channel_t  ch[2];

    ngx_memset(ch, 0x11, sizeof(ch));

    errno = 0;
    o->rc = impl->read(s, &ch[0], size, &harness_log);
    o->err = errno;
    keep_ch(o, &ch[0], ngx_min(sizeof(ch), sizeof(o->ch)));
    obs_trace(impl, "ngx_read_channel", o);

    if (o->rc > 0 && ch[0].command == NGX_CMD_OPEN_CHANNEL) {
        obs_fd(o, "ch.fd", ch[0].fd);
        close(ch[0].fd);
    }
}


/* sends data (with fds) on a fresh channel of type, then reads it */

static void
send_then_read(impl_t *impl, obs_t *o, int type, void *data, size_t len,
    int *fds, int nfds, size_t size)
{
    int  s[2];

    channel(s, type);
    raw_send(s[0], data, len, fds, nfds);
    read_into(impl, o, s[1], size);
    close_pair(s);
}


static void
r1_empty(impl_t *impl, obs_t *o)
{
    int  s[2];

    channel(s, SOCK_STREAM);
    read_into(impl, o, s[1], sizeof(ngx_channel_t));
    close_pair(s);
}


static void
r2_ebadf(impl_t *impl, obs_t *o)
{
    read_into(impl, o, 800, sizeof(ngx_channel_t));
}


static void
r2_enotsock(impl_t *impl, obs_t *o)
{
    int  p[2];

    if (pipe(p) == -1) {
        exit(2);
    }

    read_into(impl, o, p[0], sizeof(ngx_channel_t));
    close_pair(p);
}


static void
r2_below_alert(impl_t *impl, obs_t *o)
{
    log_level(NGX_LOG_EMERG);
    read_into(impl, o, 800, sizeof(ngx_channel_t));
}


static void
r3_closed(impl_t *impl, obs_t *o)
{
    int  s[2];

    channel(s, SOCK_STREAM);
    close(s[0]);
    read_into(impl, o, s[1], sizeof(ngx_channel_t));
    close(s[1]);
}


static void
r3_closed_alert_only(impl_t *impl, obs_t *o)
{
    int  s[2];

    /* error_log ... alert: no debug mask, no line even --with-debug */

    channel(s, SOCK_STREAM);
    close(s[0]);
    log_level(NGX_LOG_ALERT);
    read_into(impl, o, s[1], sizeof(ngx_channel_t));
    close(s[1]);
}


static void
r4_short(impl_t *impl, obs_t *o, size_t len)
{
    u_char  data[32];

    ngx_memset(data, 0x22, sizeof(data));
    send_then_read(impl, o, SOCK_STREAM, data, len, NULL, 0,
                   sizeof(ngx_channel_t));
}


static void r4_short_1(impl_t *i, obs_t *o) { r4_short(i, o, 1); }
static void r4_short_8(impl_t *i, obs_t *o) { r4_short(i, o, 8); }
static void r4_short_31(impl_t *i, obs_t *o) { r4_short(i, o, 31); }


static void
r4_size_below_struct(impl_t *impl, obs_t *o)
{
    ngx_channel_t  ch;

    message(&ch, NGX_CMD_QUIT, -1);
    send_then_read(impl, o, SOCK_STREAM, &ch, sizeof(ngx_channel_t), NULL, 0,
                   16);
}


static void
r4_short_with_fd(impl_t *impl, obs_t *o)
{
    int     p[2];
    u_char  data[8];

    /* nginx's C leaks the fd (compare_fds is off; see the H2 checks) */

    if (pipe(p) == -1) {
        exit(2);
    }

    ngx_memset(data, 1, sizeof(data));
    send_then_read(impl, o, SOCK_STREAM, data, sizeof(data), &p[0], 1,
                   sizeof(ngx_channel_t));
    close_pair(p);
}


static void
r5_open_without_fd(impl_t *impl, obs_t *o)
{
    ngx_channel_t  ch;

    message(&ch, NGX_CMD_OPEN_CHANNEL, 5);
    send_then_read(impl, o, SOCK_STREAM, &ch, sizeof(ngx_channel_t), NULL, 0,
                   sizeof(ngx_channel_t));
}


static void
r6_open_with_credentials(impl_t *impl, obs_t *o)
{
    int            s[2], on, p[2];
    ngx_channel_t  ch;

    /* SO_PASSCRED: the kernel puts SCM_CREDENTIALS first, truncated */

    if (pipe(p) == -1) {
        exit(2);
    }

    channel(s, SOCK_STREAM);
    on = 1;
    setsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(int));
    message(&ch, NGX_CMD_OPEN_CHANNEL, p[0]);
    raw_send(s[0], &ch, sizeof(ngx_channel_t), &p[0], 1);
    read_into(impl, o, s[1], sizeof(ngx_channel_t));
    close_pair(s);
    close_pair(p);
}


static void
r6_quit_with_credentials(impl_t *impl, obs_t *o)
{
    int            s[2], on;
    ngx_channel_t  ch;

    channel(s, SOCK_STREAM);
    on = 1;
    setsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(int));
    message(&ch, NGX_CMD_QUIT, -1);
    raw_send(s[0], &ch, sizeof(ngx_channel_t), NULL, 0);
    read_into(impl, o, s[1], sizeof(ngx_channel_t));
    close_pair(s);
}


static void
r7_open_pipe(impl_t *impl, obs_t *o)
{
    int            p[2];
    ngx_channel_t  ch;

    if (pipe(p) == -1) {
        exit(2);
    }

    message(&ch, NGX_CMD_OPEN_CHANNEL, p[1]);
    obs_fd(o, "sent", p[1]);
    send_then_read(impl, o, SOCK_STREAM, &ch, sizeof(ngx_channel_t), &p[1], 1,
                   sizeof(ngx_channel_t));
    close_pair(p);
}


static void
r7_open_socket(impl_t *impl, obs_t *o)
{
    int            x[2];
    ngx_channel_t  ch;

    channel(x, SOCK_STREAM);
    message(&ch, NGX_CMD_OPEN_CHANNEL, x[0]);
    obs_fd(o, "sent", x[0]);
    send_then_read(impl, o, SOCK_STREAM, &ch, sizeof(ngx_channel_t), &x[0], 1,
                   sizeof(ngx_channel_t));
    close_pair(x);
}


static void
r8_command(impl_t *impl, obs_t *o, ngx_uint_t command)
{
    ngx_channel_t  ch;

    message(&ch, command, 77);
    send_then_read(impl, o, SOCK_STREAM, &ch, sizeof(ngx_channel_t), NULL, 0,
                   sizeof(ngx_channel_t));
}


static void r8_close(impl_t *i, obs_t *o) { r8_command(i, o, 2); }
static void r8_quit(impl_t *i, obs_t *o) { r8_command(i, o, 3); }
static void r8_terminate(impl_t *i, obs_t *o) { r8_command(i, o, 4); }
static void r8_reopen(impl_t *i, obs_t *o) { r8_command(i, o, 5); }
static void r8_custom(impl_t *i, obs_t *o) { r8_command(i, o, 0xbeef); }


static void
r8_quit_with_fd(impl_t *impl, obs_t *o)
{
    int            p[2];
    ngx_channel_t  ch;

    /* nginx's C leaks the fd (see the H2 checks) */

    if (pipe(p) == -1) {
        exit(2);
    }

    message(&ch, NGX_CMD_QUIT, 77);
    send_then_read(impl, o, SOCK_STREAM, &ch, sizeof(ngx_channel_t), &p[0], 1,
                   sizeof(ngx_channel_t));
    close_pair(p);
}


static void
r9_ctrunc(impl_t *impl, obs_t *o)
{
    int            p[2], q[2], fds[3];
    ngx_channel_t  ch;

    /* three fds: two fit the buffer, MSG_CTRUNC; C leaks the second */

    if (pipe(p) == -1 || pipe(q) == -1) {
        exit(2);
    }

    fds[0] = p[0];
    fds[1] = q[0];
    fds[2] = p[1];
    message(&ch, NGX_CMD_OPEN_CHANNEL, -1);
    send_then_read(impl, o, SOCK_STREAM, &ch, sizeof(ngx_channel_t), fds, 3,
                   sizeof(ngx_channel_t));
    close_pair(p);
    close_pair(q);
}


static void
r9_mtrunc(impl_t *impl, obs_t *o)
{
    u_char  data[48];

    ngx_memset(data, 0x33, sizeof(data));
    ((ngx_channel_t *) data)->command = NGX_CMD_QUIT;
    send_then_read(impl, o, SOCK_DGRAM, data, sizeof(data), NULL, 0,
                   sizeof(ngx_channel_t));
}


static void
r9_mtrunc_open(impl_t *impl, obs_t *o)
{
    int     p[2];
    u_char  data[48];

    if (pipe(p) == -1) {
        exit(2);
    }

    ngx_memset(data, 0x33, sizeof(data));
    ((ngx_channel_t *) data)->command = NGX_CMD_OPEN_CHANNEL;
    send_then_read(impl, o, SOCK_SEQPACKET, data, sizeof(data), &p[0], 1,
                   sizeof(ngx_channel_t));
    close_pair(p);
}


static void
r10_size_40(impl_t *impl, obs_t *o)
{
    u_char  data[40];

    ngx_memset(data, 0x44, sizeof(data));
    ((ngx_channel_t *) data)->command = NGX_CMD_REOPEN;
    send_then_read(impl, o, SOCK_STREAM, data, sizeof(data), NULL, 0, 40);
}


static void
r10_two_messages_one_read(impl_t *impl, obs_t *o)
{
    int            s[2];
    ngx_channel_t  ch[2];

    /* two messages queued on a stream: one read takes size bytes */

    channel(s, SOCK_STREAM);
    message(&ch[0], NGX_CMD_REOPEN, -1);
    message(&ch[1], NGX_CMD_QUIT, -1);
    raw_send(s[0], &ch[0], sizeof(ngx_channel_t), NULL, 0);
    raw_send(s[0], &ch[1], sizeof(ngx_channel_t), NULL, 0);
    read_into(impl, o, s[1], sizeof(ngx_channel_t));
    peer_recv(o, s[1]);
    close_pair(s);
}


/* round trips between the implementations, both directions */

extern impl_t  impl_ref, impl_ours;


static void
cross(impl_t *impl, obs_t *o)
{
    int            s[2], p[2];
    impl_t        *writer;
    ngx_channel_t  ch;

    writer = (impl == &impl_ref) ? &impl_ours : &impl_ref;

    if (pipe(p) == -1) {
        exit(2);
    }

    channel(s, SOCK_STREAM);
    message(&ch, NGX_CMD_OPEN_CHANNEL, p[0]);
    obs_fd(o, "sent", p[0]);

    if (writer->write(s[0], &ch, sizeof(ngx_channel_t), &harness_log)
        != NGX_OK)
    {
        snprintf(o->state, sizeof(o->state), "%s write failed",
                 writer->name);
    }

    read_into(impl, o, s[1], sizeof(ngx_channel_t));
    close_pair(s);
    close_pair(p);
}


case_t  read_cases[] = {
    { "R1_L3_empty_socket_eagain", r1_empty, 1, 0 },
    { "R2_L3_ebadf", r2_ebadf, 1, 0 },
    { "R2_enotsock_pipe", r2_enotsock, 1, 0 },
    { "R2_L1_below_alert_level", r2_below_alert, 1, 0 },
    { "R3_L2_peer_closed", r3_closed, 1, 0 },
    { "R3_L2_peer_closed_alert_level", r3_closed_alert_only, 1, 0 },
    { "R4_short_1_byte", r4_short_1, 1, 0 },
    { "R4_short_8_bytes", r4_short_8, 1, 0 },
    { "R4_short_31_bytes", r4_short_31, 1, 0 },
    { "R4_size_16_below_struct", r4_size_below_struct, 1, 0 },
    { "R4_H2_short_with_fd", r4_short_with_fd, 0, 0 },
    { "R5_H1_open_channel_without_fd", r5_open_without_fd, 1, 1 },
    { "R6_open_channel_with_credentials", r6_open_with_credentials, 1, 0 },
    { "R6_R8_R9_quit_with_credentials", r6_quit_with_credentials, 1, 0 },
    { "R7_R10_open_channel_pipe", r7_open_pipe, 1, 0 },
    { "R7_R10_open_channel_socket", r7_open_socket, 1, 0 },
    { "R8_close_channel", r8_close, 1, 0 },
    { "R8_quit", r8_quit, 1, 0 },
    { "R8_terminate", r8_terminate, 1, 0 },
    { "R8_reopen", r8_reopen, 1, 0 },
    { "R8_B6_module_command_0xbeef", r8_custom, 1, 0 },
    { "R8_H2_quit_with_fd", r8_quit_with_fd, 0, 0 },
    { "R9_H2_ctrunc_three_fds", r9_ctrunc, 0, 0 },
    { "R9_mtrunc_datagram_48_bytes", r9_mtrunc, 1, 0 },
    { "R9_R7_mtrunc_seqpacket_open", r9_mtrunc_open, 1, 0 },
    { "R10_size_40_returns_40", r10_size_40, 1, 0 },
    { "R10_two_messages_one_read", r10_two_messages_one_read, 1, 0 },
    { "R7_W2_cross_other_writer_this_reader", cross, 1, 0 },
    { NULL, NULL, 0, 0 }
};
