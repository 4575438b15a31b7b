
/*
 * ngx_write_channel cases: CONTRACT W1-W6, B6, L1, L3.
 */

#include "util.h"


/* writes ch on a fresh channel and records what the peer received */

static void
write_on_channel(impl_t *impl, obs_t *o, ngx_channel_t *ch, size_t size)
{
    int  fds[2];

    channel(fds, SOCK_STREAM);

    errno = 0;
    o->rc = impl->write(fds[0], ch, size, &harness_log);
    o->err = errno;
    keep_ch(o, ch, sizeof(ngx_channel_t));
    obs_trace(impl, "ngx_write_channel", o);

    peer_recv(o, fds[1]);
    close_pair(fds);
}


static void
w1_command(impl_t *impl, obs_t *o, ngx_uint_t command)
{
    ngx_channel_t  ch;

    message(&ch, command, -1);
    write_on_channel(impl, o, &ch, sizeof(ngx_channel_t));
}


static void w1_open(impl_t *i, obs_t *o) { w1_command(i, o, 1); }
static void w1_close(impl_t *i, obs_t *o) { w1_command(i, o, 2); }
static void w1_quit(impl_t *i, obs_t *o) { w1_command(i, o, 3); }
static void w1_terminate(impl_t *i, obs_t *o) { w1_command(i, o, 4); }
static void w1_reopen(impl_t *i, obs_t *o) { w1_command(i, o, 5); }
static void b6_custom(impl_t *i, obs_t *o) { w1_command(i, o, 0xdead); }


static void
w2_pipe(impl_t *impl, obs_t *o)
{
    int            p[2];
    ngx_channel_t  ch;

    if (pipe(p) == -1) {
        exit(2);
    }

    message(&ch, NGX_CMD_OPEN_CHANNEL, p[0]);
    write_on_channel(impl, o, &ch, sizeof(ngx_channel_t));
    obs_fd(o, "sent", p[0]);
    close_pair(p);
}


static void
w2_socket(impl_t *impl, obs_t *o)
{
    int            s[2];
    ngx_channel_t  ch;

    channel(s, SOCK_STREAM);
    message(&ch, NGX_CMD_OPEN_CHANNEL, s[1]);
    write_on_channel(impl, o, &ch, sizeof(ngx_channel_t));
    obs_fd(o, "sent", s[1]);
    close_pair(s);
}


static void
w2_fd_with_quit(impl_t *impl, obs_t *o)
{
    int            p[2];
    ngx_channel_t  ch;

    /* any command: the fd goes whenever ch->fd != -1 */

    if (pipe(p) == -1) {
        exit(2);
    }

    message(&ch, NGX_CMD_QUIT, p[1]);
    write_on_channel(impl, o, &ch, sizeof(ngx_channel_t));
    close_pair(p);
}


static void
w6_fd_not_open(impl_t *impl, obs_t *o)
{
    ngx_channel_t  ch;

    message(&ch, NGX_CMD_OPEN_CHANNEL, 900);
    write_on_channel(impl, o, &ch, sizeof(ngx_channel_t));
}


static void
w2_negative_fd(impl_t *impl, obs_t *o)
{
    ngx_channel_t  ch;

    message(&ch, NGX_CMD_OPEN_CHANNEL, -2);
    write_on_channel(impl, o, &ch, sizeof(ngx_channel_t));
}


static void
w3_size(impl_t *impl, obs_t *o, size_t size)
{
    ngx_channel_t  ch[2];

    message(&ch[0], NGX_CMD_REOPEN, -1);
    ngx_memset(&ch[1], 0x5a, sizeof(ngx_channel_t));
    write_on_channel(impl, o, &ch[0], size);
}


static void w3_size_0(impl_t *i, obs_t *o) { w3_size(i, o, 0); }
static void w3_size_1(impl_t *i, obs_t *o) { w3_size(i, o, 1); }
static void w3_size_16(impl_t *i, obs_t *o) { w3_size(i, o, 16); }
static void w3_size_40(impl_t *i, obs_t *o) { w3_size(i, o, 40); }
static void w3_size_64(impl_t *i, obs_t *o) { w3_size(i, o, 64); }


static void
w3_padding_verbatim(impl_t *impl, obs_t *o)
{
    ngx_channel_t  ch;

    /* padding bytes go over the wire as they are in memory */

    ngx_memset(&ch, 0xab, sizeof(ngx_channel_t));
    ch.command = NGX_CMD_QUIT;
    ch.fd = -1;
    write_on_channel(impl, o, &ch, sizeof(ngx_channel_t));
}


static void
w5_full(impl_t *impl, obs_t *o)
{
    int            fds[2], i;
    ngx_int_t      rc;
    ngx_channel_t  ch;

    channel(fds, SOCK_STREAM);
    message(&ch, NGX_CMD_QUIT, -1);

    for (i = 0; i < 1000000; i++) {
        rc = impl->write(fds[0], &ch, sizeof(ngx_channel_t), NULL);
        if (rc != NGX_OK) {
            break;
        }
    }

    errno = 0;
    o->rc = impl->write(fds[0], &ch, sizeof(ngx_channel_t), &harness_log);
    o->err = errno;
    snprintf(o->state, sizeof(o->state), "first non-OK: %ld", (long) rc);
    obs_trace(impl, "ngx_write_channel", o);
    close_pair(fds);
}


static void
w6_ebadf(impl_t *impl, obs_t *o)
{
    ngx_channel_t  ch;

    message(&ch, NGX_CMD_QUIT, -1);
    traced_write(impl, o, 800, &ch, sizeof(ngx_channel_t));
}


static void
w6_enotsock(impl_t *impl, obs_t *o)
{
    int            p[2];
    ngx_channel_t  ch;

    if (pipe(p) == -1) {
        exit(2);
    }

    message(&ch, NGX_CMD_QUIT, -1);
    traced_write(impl, o, p[1], &ch, sizeof(ngx_channel_t));
    close_pair(p);
}


static void
w6_epipe(impl_t *impl, obs_t *o)
{
    int            fds[2];
    ngx_channel_t  ch;

    /* SIGPIPE is ignored in the harness, so nginx's C survives it (H4) */

    channel(fds, SOCK_STREAM);
    close(fds[1]);
    message(&ch, NGX_CMD_QUIT, -1);
    traced_write(impl, o, fds[0], &ch, sizeof(ngx_channel_t));
    close(fds[0]);
}


static void
w6_shutdown(impl_t *impl, obs_t *o)
{
    int            fds[2];
    ngx_channel_t  ch;

    channel(fds, SOCK_STREAM);
    shutdown(fds[0], SHUT_WR);
    message(&ch, NGX_CMD_QUIT, -1);
    traced_write(impl, o, fds[0], &ch, sizeof(ngx_channel_t));
    close_pair(fds);
}


static void
w6_dgram_no_peer(impl_t *impl, obs_t *o)
{
    int            fds[2];
    ngx_channel_t  ch;

    channel(fds, SOCK_DGRAM);
    close(fds[1]);
    message(&ch, NGX_CMD_QUIT, -1);
    traced_write(impl, o, fds[0], &ch, sizeof(ngx_channel_t));
    close(fds[0]);
}


static void
l1_write_below_alert(impl_t *impl, obs_t *o)
{
    ngx_channel_t  ch;

    message(&ch, NGX_CMD_QUIT, -1);
    log_level(NGX_LOG_EMERG);
    traced_write(impl, o, 800, &ch, sizeof(ngx_channel_t));
}


static void
l1_write_at_alert(impl_t *impl, obs_t *o)
{
    ngx_channel_t  ch;

    message(&ch, NGX_CMD_QUIT, -1);
    log_level(NGX_LOG_ALERT);
    traced_write(impl, o, 800, &ch, sizeof(ngx_channel_t));
}


case_t  write_cases[] = {
    { "W1_W4_open_channel_fd_-1_no_control", w1_open, 1, 0 },
    { "W1_W4_close_channel", w1_close, 1, 0 },
    { "W1_W4_quit", w1_quit, 1, 0 },
    { "W1_W4_terminate", w1_terminate, 1, 0 },
    { "W1_W4_reopen", w1_reopen, 1, 0 },
    { "B6_W1_module_command_0xdead", b6_custom, 1, 0 },
    { "W2_pass_pipe_fd", w2_pipe, 1, 0 },
    { "W2_pass_socket_fd", w2_socket, 1, 0 },
    { "W2_fd_with_quit_command", w2_fd_with_quit, 1, 0 },
    { "W2_W6_L3_fd_not_open_ebadf", w6_fd_not_open, 1, 0 },
    { "W2_W6_negative_fd_-2", w2_negative_fd, 1, 0 },
    { "W3_size_0", w3_size_0, 1, 0 },
    { "W3_size_1", w3_size_1, 1, 0 },
    { "W3_size_16", w3_size_16, 1, 0 },
    { "W3_size_40", w3_size_40, 1, 0 },
    { "W3_size_64", w3_size_64, 1, 0 },
    { "W3_padding_bytes_verbatim", w3_padding_verbatim, 1, 0 },
    { "W5_L3_full_socket_eagain", w5_full, 1, 0 },
    { "W6_L1_L3_ebadf", w6_ebadf, 1, 0 },
    { "W6_enotsock_pipe", w6_enotsock, 1, 0 },
    { "W6_H4_epipe_peer_closed", w6_epipe, 1, 0 },
    { "W6_epipe_after_shutdown", w6_shutdown, 1, 0 },
    { "W6_dgram_peer_gone", w6_dgram_no_peer, 1, 0 },
    { "L1_write_error_below_alert_level", l1_write_below_alert, 1, 0 },
    { "L1_write_error_at_alert_level", l1_write_at_alert, 1, 0 },
    { NULL, NULL, 0, 0 }
};
