
/*
 * A plain C program, no nginx objects, using ngx_channel.h the way nginx's
 * master and workers do: the parent (master) and a forked child (worker)
 * exchange every command over a socketpair, the master passes a pipe and
 * then accepted TCP connections (127.0.0.1, a port the kernel picks) with
 * NGX_CMD_OPEN_CHANNEL, and the worker serves them.  Linked once against
 * libngx_channel.so and once against libngx_channel.a.
 *
 * Prints one TRACE line per library call and ends with "N passed, M failed".
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "ngx_channel.h"


#define CLIENTS  3


static int  passed, failed;


static void
check(int ok, const char *what)
{
    if (ok) {
        passed++;

    } else {
        failed++;
        printf("FAIL: %s\n", what);
    }
}


static ngx_int_t
traced_write(int s, ngx_channel_t *ch)
{
    ngx_int_t  rc;

    rc = ngx_write_channel(s, ch, sizeof(ngx_channel_t), NULL);
    printf("TRACE(ngx_write_channel(command=%lu, fd=%s)) -> %ld\n",
           (unsigned long) ch->command, ch->fd == -1 ? "-1" : "fd",
           (long) rc);
    return rc;
}


static ngx_int_t
traced_read(int s, ngx_channel_t *ch)
{
    ngx_int_t  rc;

    for ( ;; ) {
        rc = ngx_read_channel(s, ch, sizeof(ngx_channel_t), NULL);
        if (rc != NGX_AGAIN) {
            break;
        }
        usleep(1000);
    }

    printf("TRACE(ngx_read_channel()) -> %ld command=%lu\n", (long) rc,
           (unsigned long) ch->command);
    return rc;
}


/* the worker: returns the number of failures, as its exit code */

static int
worker(int s)
{
    int            bad, conns, flags;
    char           buf[64];
    ssize_t        n;
    ngx_int_t      rc;
    ngx_channel_t  ch;

    bad = 0;
    conns = 0;

    for ( ;; ) {
        memset(&ch, 0, sizeof(ngx_channel_t));
        rc = traced_read(s, &ch);

        if (rc != (ngx_int_t) sizeof(ngx_channel_t)) {
            return 100 + bad;
        }

        if (ch.pid != getppid()) {
            bad++;
        }

        switch (ch.command) {

        case NGX_CMD_OPEN_CHANNEL:
            flags = fcntl(ch.fd, F_GETFD);
            if (ch.fd < 0 || !(flags & FD_CLOEXEC)) {
                bad++;
                break;
            }

            if (ch.slot == 0) {
                /* a pipe: read what the master wrote into it */
                n = read(ch.fd, buf, sizeof(buf));
                if (n != 5 || memcmp(buf, "pipe\n", 5) != 0) {
                    bad++;
                }

            } else {
                /* an accepted TCP connection: serve it */
                n = snprintf(buf, sizeof(buf), "served by worker %d\n",
                             (int) getpid());
                if (write(ch.fd, buf, n) != n) {
                    bad++;
                }
                conns++;
            }

            close(ch.fd);
            break;

        case NGX_CMD_CLOSE_CHANNEL:
        case NGX_CMD_REOPEN:
        case 99:
            if (ch.fd != -1 || ch.slot != (ngx_int_t) ch.command) {
                bad++;
            }
            break;

        case NGX_CMD_TERMINATE:
            bad++;
            break;

        case NGX_CMD_QUIT:
            if (conns != CLIENTS) {
                bad++;
            }
            return bad;

        default:
            bad++;
        }
    }
}


static int
listen_loopback(struct sockaddr_in *sin)
{
    int        ls;
    socklen_t  len;

    ls = socket(AF_INET, SOCK_STREAM, 0);
    memset(sin, 0, sizeof(struct sockaddr_in));
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin->sin_port = 0;
    len = sizeof(struct sockaddr_in);

    if (ls == -1
        || bind(ls, (struct sockaddr *) sin, len) == -1
        || listen(ls, 16) == -1
        || getsockname(ls, (struct sockaddr *) sin, &len) == -1)
    {
        perror("listen on 127.0.0.1");
        exit(2);
    }

    return ls;
}


int
main(void)
{
    int                 fds[2], p[2], ls, cs, c, i, status, cmds[3];
    char                buf[64];
    pid_t               pid;
    ssize_t             n;
    ngx_int_t           rc;
    ngx_channel_t       ch;
    struct sockaddr_in  sin;

    signal(SIGPIPE, SIG_DFL);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == -1 || pipe(p) == -1) {
        perror("socketpair");
        return 2;
    }

    ls = listen_loopback(&sin);
    alarm(20);

    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        close(ls);
        close(p[1]);
        _exit(worker(fds[1]));
    }

    close(fds[1]);

    /* a pipe, as NGX_CMD_OPEN_CHANNEL with slot 0 */

    if (write(p[1], "pipe\n", 5) != 5) {
        return 2;
    }

    memset(&ch, 0, sizeof(ngx_channel_t));
    ch.command = NGX_CMD_OPEN_CHANNEL;
    ch.pid = getpid();
    ch.slot = 0;
    ch.fd = p[0];
    check(traced_write(fds[0], &ch) == NGX_OK, "write OPEN_CHANNEL pipe");
    check(ch.fd == p[0], "W3: *ch is not modified");
    close(p[0]);
    close(p[1]);

    /* commands without an fd */

    cmds[0] = NGX_CMD_CLOSE_CHANNEL;
    cmds[1] = NGX_CMD_REOPEN;
    cmds[2] = 99;

    for (i = 0; i < 3; i++) {
        memset(&ch, 0, sizeof(ngx_channel_t));
        ch.command = cmds[i];
        ch.pid = getpid();
        ch.slot = cmds[i];
        ch.fd = -1;
        check(traced_write(fds[0], &ch) == NGX_OK, "write a command");
    }

    /* accepted TCP connections, served by the worker */

    for (i = 0; i < CLIENTS; i++) {
        cs = socket(AF_INET, SOCK_STREAM, 0);
        if (cs == -1 || connect(cs, (struct sockaddr *) &sin, sizeof(sin))) {
            perror("connect");
            return 2;
        }

        c = accept(ls, NULL, NULL);
        check(c != -1, "accept");

        memset(&ch, 0, sizeof(ngx_channel_t));
        ch.command = NGX_CMD_OPEN_CHANNEL;
        ch.pid = getpid();
        ch.slot = 1 + i;
        ch.fd = c;
        check(traced_write(fds[0], &ch) == NGX_OK, "pass a connection");
        close(c);

        n = read(cs, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        check(n > 0 && strncmp(buf, "served by worker ", 17) == 0
              && atoi(buf + 17) == (int) pid, "the worker served it");
        close(cs);
    }

    close(ls);

    /* A5: no nginx event module here */

    errno = 0;
    rc = ngx_add_channel_event((ngx_cycle_t *) &ch, fds[0], 1, NULL);
    printf("TRACE(ngx_add_channel_event()) -> %ld errno=%d\n", (long) rc,
           errno);
    check(rc == NGX_ERROR && errno == ENOSYS, "A5: NGX_ERROR, ENOSYS");

    /* quit, then the worker's exit code tells its failures */

    memset(&ch, 0, sizeof(ngx_channel_t));
    ch.command = NGX_CMD_QUIT;
    ch.pid = getpid();
    ch.fd = -1;
    check(traced_write(fds[0], &ch) == NGX_OK, "write QUIT");

    check(waitpid(pid, &status, 0) == pid && WIFEXITED(status)
          && WEXITSTATUS(status) == 0, "the worker saw every message right");

    /* R3 on the master's side once the worker is gone; W6 EPIPE */

    rc = traced_read(fds[0], &ch);
    check(rc == NGX_ERROR, "R3: peer closed");
    rc = traced_write(fds[0], &ch);
    check(rc == NGX_ERROR && errno == EPIPE, "W6/H4: EPIPE, no SIGPIPE");

    /* C1, then C2 on the same (now closed) descriptors */

    fds[1] = dup(fds[0]);
    ngx_close_channel(fds, NULL);
    printf("TRACE(ngx_close_channel())\n");
    check(fcntl(fds[0], F_GETFD) == -1 && fcntl(fds[1], F_GETFD) == -1,
          "C1: both closed");
    ngx_close_channel(fds, NULL);
    check(errno == EBADF, "C2: errno of the failed close");
    ngx_close_channel(NULL, NULL);
    check(ngx_write_channel(0, NULL, 32, NULL) == NGX_ERROR
          && errno == EINVAL, "H5: NULL ch");

    printf("master_worker: %d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
