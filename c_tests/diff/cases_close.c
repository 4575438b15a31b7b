
/*
 * ngx_close_channel cases: CONTRACT C1, C2, L1, L3.
 */

#include "util.h"


static void
close_fds(impl_t *impl, obs_t *o, ngx_fd_t *fd)
{
    ngx_fd_t  before[2];

    before[0] = fd[0];
    before[1] = fd[1];

    errno = 0;
    impl->close(fd, &harness_log);
    o->err = errno;
    obs_trace(impl, "ngx_close_channel", o);

    snprintf(o->state, sizeof(o->state), "array %s; fd0 %s, fd1 %s",
             (fd[0] == before[0] && fd[1] == before[1]) ? "kept" : "changed",
             fcntl(before[0], F_GETFD) == -1 ? "closed" : "open",
             fcntl(before[1], F_GETFD) == -1 ? "closed" : "open");
}


static void
c1_both(impl_t *impl, obs_t *o)
{
    ngx_fd_t  fd[2];

    channel(fd, SOCK_STREAM);
    close_fds(impl, o, fd);
}


static void
c2_first_bad(impl_t *impl, obs_t *o)
{
    int       s[2];
    ngx_fd_t  fd[2];

    channel(s, SOCK_STREAM);
    close(s[1]);
    fd[0] = 800;
    fd[1] = s[0];
    close_fds(impl, o, fd);
}


static void
c2_second_bad(impl_t *impl, obs_t *o)
{
    int       s[2];
    ngx_fd_t  fd[2];

    channel(s, SOCK_STREAM);
    close(s[1]);
    fd[0] = s[0];
    fd[1] = -1;
    close_fds(impl, o, fd);
}


static void
c2_both_bad(impl_t *impl, obs_t *o)
{
    ngx_fd_t  fd[2];

    fd[0] = 800;
    fd[1] = 801;
    close_fds(impl, o, fd);
}


static void
c2_same_fd_twice(impl_t *impl, obs_t *o)
{
    int       s[2];
    ngx_fd_t  fd[2];

    channel(s, SOCK_STREAM);
    close(s[1]);
    fd[0] = s[0];
    fd[1] = s[0];
    close_fds(impl, o, fd);
}


static void
c2_below_alert(impl_t *impl, obs_t *o)
{
    ngx_fd_t  fd[2];

    log_level(NGX_LOG_EMERG);
    fd[0] = 800;
    fd[1] = 801;
    close_fds(impl, o, fd);
}


case_t  close_cases[] = {
    { "C1_both_valid", c1_both, 1, 0 },
    { "C2_L3_first_fails_second_closed", c2_first_bad, 1, 0 },
    { "C2_second_fails", c2_second_bad, 1, 0 },
    { "C2_both_fail_two_alerts", c2_both_bad, 1, 0 },
    { "C2_same_fd_twice", c2_same_fd_twice, 1, 0 },
    { "C2_L1_below_alert_level", c2_below_alert, 1, 0 },
    { NULL, NULL, 0, 0 }
};
