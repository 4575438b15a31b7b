
/*
 * usage: debug_line EXPECT
 * Reads a closed channel with a log at NGX_LOG_DEBUG_ALL: the debug line
 * "recvmsg() returned zero" (CONTRACT R3, L2) must reach stderr when EXPECT
 * is 1 (a library built for an nginx --with-debug) and never when it is 0.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ngx_channel.h"


struct ngx_log_s {
    ngx_uint_t  log_level;
    void       *rest[16];
};


int
main(int argc, char **argv)
{
    int            fds[2], p[2], expect, got;
    char           buf[256];
    ssize_t        n;
    ngx_int_t      rc;
    ngx_log_t      log;
    ngx_channel_t  ch;

    expect = argc > 1 ? atoi(argv[1]) : 0;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == -1 || pipe(p) == -1) {
        return 2;
    }

    memset(&log, 0, sizeof(ngx_log_t));
    log.log_level = 0x7ffffff0;    /* NGX_LOG_DEBUG_ALL */
    close(fds[1]);

    dup2(p[1], 2);
    rc = ngx_read_channel(fds[0], &ch, sizeof(ngx_channel_t), &log);
    if (write(2, ".", 1) != 1) {
        return 2;
    }

    n = read(p[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    got = strcmp(buf, "ngx_channel: [debug] recvmsg() returned zero\n.") == 0;

    printf("rc=%ld stderr=\"%s\"\n", (long) rc, buf);

    if (rc != NGX_ERROR || (expect ? !got : strcmp(buf, ".") != 0)) {
        printf("debug_line: 0 passed, 1 failed\n");
        return 1;
    }

    printf("debug_line: 1 passed, 0 failed\n");
    return 0;
}
