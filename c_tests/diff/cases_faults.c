
/*
 * Faults, each run through nginx's C and ours from the same state:
 * EINTR from a signal storm during blocking calls (not retried: W6, R2),
 * ECONNRESET and EPIPE from a peer that dies, a peer that dies mid-message
 * (R4, then R3), and a full fd table when a descriptor arrives.
 */

#include "util.h"

#include <sys/resource.h>
#include <sys/time.h>


static volatile sig_atomic_t  ticks;


static void
on_tick(int signo)
{
    ticks++;
}


/*
 * A signal every millisecond, without SA_RESTART: a storm of EINTRs.
 * It ends timer first: a tick that found SIGALRM at its default action
 * would kill the harness.  SIG_IGN then discards a tick still pending.
 */

static void
storm(int on)
{
    struct sigaction  sa;
    struct itimerval  it;

    ngx_memzero(&sa, sizeof(struct sigaction));
    ngx_memzero(&it, sizeof(struct itimerval));
    sigemptyset(&sa.sa_mask);

    if (on) {
        sa.sa_handler = on_tick;
        sigaction(SIGALRM, &sa, NULL);

        it.it_value.tv_usec = 1000;
        it.it_interval.tv_usec = 1000;
        setitimer(ITIMER_REAL, &it, NULL);
        return;
    }

    setitimer(ITIMER_REAL, &it, NULL);

    sa.sa_handler = SIG_IGN;
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGALRM, &sa, NULL);
}


static void
blocking(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}


static void
eintr_read(impl_t *impl, obs_t *o)
{
    int            s[2];
    ngx_channel_t  ch;

    channel(s, SOCK_STREAM);
    blocking(s[1]);

    storm(1);
    errno = 0;
    o->rc = impl->read(s[1], &ch, sizeof(ngx_channel_t), &harness_log);
    o->err = errno;
    storm(0);

    obs_trace(impl, "ngx_read_channel", o);
    snprintf(o->state, sizeof(o->state), "interrupted: %s",
             ticks ? "yes" : "no");
    close_pair(s);
}


static void
eintr_write(impl_t *impl, obs_t *o)
{
    int            s[2];
    ngx_channel_t  ch;

    channel(s, SOCK_STREAM);
    message(&ch, NGX_CMD_QUIT, -1);

    while (impl->write(s[0], &ch, sizeof(ngx_channel_t), NULL) == NGX_OK) {
        /* fill the socket */
    }

    blocking(s[0]);

    storm(1);
    errno = 0;
    o->rc = impl->write(s[0], &ch, sizeof(ngx_channel_t), &harness_log);
    o->err = errno;
    storm(0);

    obs_trace(impl, "ngx_write_channel", o);
    close_pair(s);
}


/* a channel whose peer died with our message unread: returns our end */

static int
reset_channel(ngx_channel_t *ch)
{
    int  s[2];

    channel(s, SOCK_STREAM);
    message(ch, NGX_CMD_QUIT, -1);
    raw_send(s[0], ch, sizeof(ngx_channel_t), NULL, 0);
    close(s[1]);

    return s[0];
}


static void
econnreset_read(impl_t *impl, obs_t *o)
{
    int            s;
    ngx_channel_t  ch;

    s = reset_channel(&ch);
    traced_read(impl, o, s, &ch, sizeof(ngx_channel_t));
    close(s);
}


static void
epipe_after_reset(impl_t *impl, obs_t *o)
{
    int            s;
    ngx_channel_t  ch;

    s = reset_channel(&ch);
    traced_write(impl, o, s, &ch, sizeof(ngx_channel_t));
    close(s);
}


static void
dies_mid_message(impl_t *impl, obs_t *o)
{
    int            s[2];
    ngx_int_t      first;
    ngx_channel_t  ch;

    /* half a message, then the peer is gone: R4, then R3 */

    channel(s, SOCK_STREAM);
    message(&ch, NGX_CMD_OPEN_CHANNEL, -1);
    raw_send(s[0], &ch, 16, NULL, 0);
    close(s[0]);

    first = impl->read(s[1], &ch, sizeof(ngx_channel_t), &harness_log);
    errno = 0;
    o->rc = impl->read(s[1], &ch, sizeof(ngx_channel_t), &harness_log);
    o->err = errno;
    snprintf(o->state, sizeof(o->state), "first read %ld", (long) first);
    obs_trace(impl, "ngx_read_channel", o);
    close(s[1]);
}


/* a descriptor arrives while this process's fd table is full */

static ngx_uint_t
full_fd_table(impl_t *impl, obs_t *o, ngx_uint_t command)
{
    ngx_uint_t     full;
    int            s[2], p[2], fd;
    struct rlimit  old, tight;
    ngx_channel_t  ch;

    if (pipe(p) == -1) {
        exit(2);
    }

    channel(s, SOCK_STREAM);
    message(&ch, command, p[0]);
    raw_send(s[0], &ch, sizeof(ngx_channel_t), &p[0], 1);

    /* no free slot: the limit is the lowest free descriptor */

    fd = dup(s[1]);
    close(fd);
    getrlimit(RLIMIT_NOFILE, &old);
    tight = old;
    tight.rlim_cur = fd;
    setrlimit(RLIMIT_NOFILE, &tight);

    /*
     * valgrind virtualises RLIMIT_NOFILE (the kernel still installs the
     * fd): then the table cannot be filled; the Makefile says so
     */

    fd = dup(s[1]);
    full = (fd == -1 && errno == EMFILE && getenv("HARNESS_VALGRIND") == NULL);
    if (fd != -1) {
        close(fd);
    }

    if (full) {
        errno = 0;
        o->rc = impl->read(s[1], &ch, sizeof(ngx_channel_t), &harness_log);
        o->err = errno;

    } else {
        snprintf(o->state, sizeof(o->state), "the fd table could not be "
                 "filled here (under valgrind?): not run");
    }

    setrlimit(RLIMIT_NOFILE, &old);

    keep_ch(o, &ch, sizeof(ngx_channel_t));
    obs_trace(impl, "ngx_read_channel", o);
    close_pair(s);
    close_pair(p);

    return full;
}


static void
full_fd_table_quit(impl_t *impl, obs_t *o)
{
    (void) full_fd_table(impl, o, NGX_CMD_QUIT);
}


static void
full_fd_table_open(impl_t *impl, obs_t *o)
{
    (void) full_fd_table(impl, o, NGX_CMD_OPEN_CHANNEL);
}


/* for better.c: OPEN_CHANNEL into a full fd table (CONTRACT H1) */

ngx_uint_t
full_fd_table_case(impl_t *impl, obs_t *o)
{
    return full_fd_table(impl, o, NGX_CMD_OPEN_CHANNEL);
}


case_t  fault_cases[] = {
    { "F_R2_L3_eintr_signal_storm_read_not_retried", eintr_read, 1, 0 },
    { "F_W6_L3_eintr_signal_storm_write_not_retried", eintr_write, 1, 0 },
    { "F_R2_econnreset_peer_died_with_data_unread", econnreset_read, 1, 0 },
    { "F_W6_epipe_peer_died_with_data_unread", epipe_after_reset, 1, 0 },
    { "F_R4_R3_peer_died_mid_message", dies_mid_message, 1, 0 },
    { "F_R8_R9_full_fd_table_quit_with_fd", full_fd_table_quit, 1, 0 },
    { "F_R5_H1_full_fd_table_open_channel", full_fd_table_open, 1, 1 },
    { NULL, NULL, 0, 0 }
};
