
/*
 * usage: soak MESSAGES
 *
 * Two processes exchange MESSAGES channel messages over a socketpair,
 * every third one passing an fd (NGX_CMD_OPEN_CHANNEL; the reader closes
 * what it receives).  Both sample their open fd count and anonymous RSS
 * ten times after a warm-up; the counts must stay constant from start to
 * end, and RSS must not grow.  Prints both series' first and last values.
 */

#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "ngx_channel.h"


#define SAMPLES  10


typedef struct {
    long  fds[SAMPLES];
    long  rss_kb[SAMPLES];
    int   n;
} series_t;


static long
open_fds(void)
{
    long            n;
    DIR            *d;
    struct dirent  *e;

    n = 0;
    d = opendir("/proc/self/fd");

    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }

    closedir(d);

    return n - 1;    /* not the directory's own fd */
}


/*
 * Anonymous resident memory (heap, stack): what a leak would grow.  The
 * file-backed part of RSS grows as code pages are first touched, which is
 * no leak.
 */

static long
rss_kb(void)
{
    long   kb;
    char   line[128];
    FILE  *f;

    kb = -1;
    f = fopen("/proc/self/status", "r");

    if (f != NULL) {
        while (fgets(line, sizeof(line), f) != NULL) {
            if (sscanf(line, "RssAnon: %ld", &kb) == 1) {
                break;
            }
        }
        fclose(f);
    }

    return kb;
}


/* the measuring itself allocates once (opendir, fopen): warm it up */

static void
warm_up_sampling(void)
{
    (void) open_fds();
    (void) rss_kb();
}


static void
sample(series_t *s)
{
    if (s->n < SAMPLES) {
        s->fds[s->n] = open_fds();
        s->rss_kb[s->n] = rss_kb();
        s->n++;
    }
}


static void
wait_io(int fd, short events)
{
    struct pollfd  p;

    p.fd = fd;
    p.events = events;
    (void) poll(&p, 1, 1000);
}


static int
report(const char *who, series_t *s)
{
    int  i, ok;

    if (getenv("SOAK_SERIES")) {
        for (i = 0; i < s->n; i++) {
            printf(" %ld/%ld", s->fds[i], s->rss_kb[i]);
        }
        printf("\n");
    }

    ok = s->n == SAMPLES;

    for (i = 1; i < s->n; i++) {
        if (s->fds[i] != s->fds[0]) {
            ok = 0;
        }
    }

    /* no growth beyond noise of two pages */

    if (s->n && s->rss_kb[s->n - 1] > s->rss_kb[0] + 8) {
        ok = 0;
    }

    printf("soak %s: open fds %ld -> %ld, anonymous RSS %ld -> %ld KiB (%d samples)%s\n",
           who, s->fds[0], s->fds[s->n - 1], s->rss_kb[0],
           s->rss_kb[s->n - 1], s->n, ok ? "" : "  FAIL");

    return ok;
}


int
main(int argc, char **argv)
{
    int            sv[2], p[2], status, passed, failed, ok;
    long           total, i, every, warm;
    pid_t          pid;
    ngx_int_t      rc;
    series_t       series;
    ngx_channel_t  ch;

    total = argc > 1 ? atol(argv[1]) : 1000000;
    every = total / SAMPLES;
    warm = total / 20;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1
        || pipe(p) == -1)
    {
        return 2;
    }

    memset(&series, 0, sizeof(series_t));
    setvbuf(stdout, NULL, _IOLBF, 0);
    warm_up_sampling();

    pid = fork();

    if (pid == 0) {
        close(sv[0]);
        close(p[0]);
        close(p[1]);
        warm_up_sampling();
        ok = 1;

        for (i = 0; i < total; i++) {
            while ((rc = ngx_read_channel(sv[1], &ch, sizeof(ngx_channel_t),
                                          NULL))
                   == NGX_AGAIN)
            {
                wait_io(sv[1], POLLIN);
            }

            if (rc != (ngx_int_t) sizeof(ngx_channel_t)) {
                printf("soak reader: message %ld: rc %ld\n", i, (long) rc);
                _exit(1);
            }

            if (ch.command == NGX_CMD_OPEN_CHANNEL) {
                if (ch.fd < 0 || close(ch.fd) == -1) {
                    ok = 0;
                }

            } else if (ch.command != NGX_CMD_REOPEN) {
                ok = 0;
            }

            if (i >= warm && (i - warm) % ((total - warm) / SAMPLES) == 0) {
                sample(&series);
            }
        }

        ok &= report("reader", &series);
        _exit(ok ? 0 : 1);
    }

    close(sv[1]);
    passed = 0;
    failed = 0;

    for (i = 0; i < total; i++) {
        memset(&ch, 0, sizeof(ngx_channel_t));
        ch.command = (i % 3 == 0) ? NGX_CMD_OPEN_CHANNEL : NGX_CMD_REOPEN;
        ch.pid = getpid();
        ch.slot = i;
        ch.fd = (i % 3 == 0) ? p[0] : -1;

        while ((rc = ngx_write_channel(sv[0], &ch, sizeof(ngx_channel_t),
                                       NULL))
               == NGX_AGAIN)
        {
            wait_io(sv[0], POLLOUT);
        }

        if (rc != NGX_OK) {
            printf("soak writer: message %ld: rc %ld\n", i, (long) rc);
            failed++;
            break;
        }

        if (i >= warm && (i - warm) % ((total - warm) / SAMPLES) == 0) {
            sample(&series);
        }
    }

    (void) every;

    if (report("writer", &series)) {
        passed++;

    } else {
        failed++;
    }

    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)
        && WEXITSTATUS(status) == 0)
    {
        passed++;

    } else {
        failed++;
    }

    printf("soak: %ld messages, %ld with an fd\n", total, (total + 2) / 3);
    printf("soak: %d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
