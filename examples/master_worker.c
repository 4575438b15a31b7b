
/*
 * A master/worker TCP server on nginx's channel, in C, through
 * include/ngx_channel.h and libngx_channel (no nginx needed).
 *
 * The master listens on 127.0.0.1 (a port the kernel picks), forks N
 * workers with one channel each, accepts connections and hands each one to
 * a worker (round robin) with NGX_CMD_OPEN_CHANNEL; the workers serve them.
 * Then, as a reload does, the master sends NGX_CMD_QUIT: each worker
 * finishes what it was handed before the QUIT and exits 0.  A client
 * process makes a bounded number of connections and checks every answer.
 *
 *     master_worker [WORKERS] [CLIENTS]
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "ngx_channel.h"


#define MAX_WORKERS  16


/* reads one message, waiting while the channel would block */

static ngx_int_t
read_message(int s, ngx_channel_t *ch)
{
    ngx_int_t      rc;
    struct pollfd  p;

    for ( ;; ) {
        rc = ngx_read_channel(s, ch, sizeof(ngx_channel_t), NULL);
        if (rc != NGX_AGAIN) {
            return rc;
        }

        p.fd = s;
        p.events = POLLIN;
        (void) poll(&p, 1, -1);
    }
}


static ngx_int_t
write_message(int s, ngx_channel_t *ch)
{
    ngx_int_t      rc;
    struct pollfd  p;

    for ( ;; ) {
        rc = ngx_write_channel(s, ch, sizeof(ngx_channel_t), NULL);
        if (rc != NGX_AGAIN) {
            return rc;
        }

        p.fd = s;
        p.events = POLLOUT;
        (void) poll(&p, 1, -1);
    }
}


static int
worker(int id, int s)
{
    int            served;
    char           buf[64];
    ssize_t        n;
    ngx_channel_t  ch;

    served = 0;

    for ( ;; ) {
        memset(&ch, 0, sizeof(ngx_channel_t));

        if (read_message(s, &ch) != (ngx_int_t) sizeof(ngx_channel_t)) {
            return 6;
        }

        switch (ch.command) {

        case NGX_CMD_OPEN_CHANNEL:
            (void) read(ch.fd, buf, sizeof(buf));
            n = snprintf(buf, sizeof(buf), "served by worker %d pid %d\n",
                         id, (int) getpid());
            if (write(ch.fd, buf, n) != n) {
                return 4;
            }
            close(ch.fd);
            served++;
            break;

        case NGX_CMD_QUIT:
            return served > 0 ? 0 : 8;

        default:
            return 5;
        }
    }
}


static int
client(struct sockaddr_in *sin, int clients, int workers)
{
    int      i, s, w, count[MAX_WORKERS];
    char     buf[128];
    ssize_t  n, got;

    memset(count, 0, sizeof(count));

    for (i = 0; i < clients; i++) {
        s = socket(AF_INET, SOCK_STREAM, 0);
        if (s == -1 || connect(s, (struct sockaddr *) sin, sizeof(*sin))) {
            return 2;
        }

        if (write(s, "hello\n", 6) != 6) {
            return 2;
        }

        got = 0;
        while ((n = read(s, buf + got, sizeof(buf) - 1 - got)) > 0) {
            got += n;
        }
        buf[got] = '\0';
        close(s);

        if (strncmp(buf, "served by worker ", 17) != 0) {
            return 3;
        }

        w = atoi(buf + 17);
        if (w < 0 || w >= workers) {
            return 3;
        }
        count[w]++;
    }

    for (w = 0; w < workers && w < clients; w++) {
        if (count[w] != clients / workers + (w < clients % workers)) {
            return 4;
        }
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int                 workers, clients, i, c, ls, status, passed, failed;
    int                 chan[MAX_WORKERS][2];
    pid_t               pids[MAX_WORKERS], cpid;
    socklen_t           len;
    ngx_channel_t       ch;
    struct sockaddr_in  sin;

    workers = argc > 1 ? atoi(argv[1]) : 3;
    clients = argc > 2 ? atoi(argv[2]) : 30;
    workers = workers < 1 ? 1 : (workers > MAX_WORKERS ? MAX_WORKERS : workers);
    alarm(30);
    signal(SIGPIPE, SIG_IGN);

    ls = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sin);

    if (ls == -1 || bind(ls, (struct sockaddr *) &sin, len) == -1
        || listen(ls, 64) == -1
        || getsockname(ls, (struct sockaddr *) &sin, &len) == -1)
    {
        perror("listen on 127.0.0.1");
        return 2;
    }

    for (i = 0; i < workers; i++) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, chan[i]) == -1) {
            return 2;
        }

        pids[i] = fork();

        if (pids[i] == 0) {
            close(ls);
            for (c = 0; c <= i; c++) {
                close(chan[c][0]);
            }
            _exit(worker(i, chan[i][1]));
        }

        close(chan[i][1]);
    }

    cpid = fork();
    if (cpid == 0) {
        _exit(client(&sin, clients, workers));
    }

    for (i = 0; i < clients; i++) {
        c = accept(ls, NULL, NULL);

        memset(&ch, 0, sizeof(ngx_channel_t));
        ch.command = NGX_CMD_OPEN_CHANNEL;
        ch.pid = getpid();
        ch.slot = i;
        ch.fd = c;

        if (c == -1 || write_message(chan[i % workers][0], &ch) != NGX_OK) {
            return 2;
        }

        close(c);
    }

    passed = 0;
    failed = 0;

    if (waitpid(cpid, &status, 0) == cpid && WIFEXITED(status)
        && WEXITSTATUS(status) == 0)
    {
        passed++;

    } else {
        failed++;
        printf("FAIL: the client saw wrong answers (status %#x)\n", status);
    }

    /* "reload": every worker drains what it was handed, then quits */

    for (i = 0; i < workers; i++) {
        memset(&ch, 0, sizeof(ngx_channel_t));
        ch.command = NGX_CMD_QUIT;
        ch.pid = getpid();
        ch.slot = i;
        ch.fd = -1;
        (void) write_message(chan[i][0], &ch);
    }

    for (i = 0; i < workers; i++) {
        if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status)
            && WEXITSTATUS(status) == 0)
        {
            passed++;

        } else {
            failed++;
            printf("FAIL: worker %d status %#x\n", i, status);
        }

        close(chan[i][0]);
    }

    printf("master_worker (C, %d workers, %d clients): %d passed, %d failed\n",
           workers, clients, passed, failed);

    return failed ? 1 : 0;
}
