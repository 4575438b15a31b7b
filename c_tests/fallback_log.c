
/*
 * A plain C program that passes a log: without nginx's ngx_log_error_core
 * linked in, ngx-channel writes its ALERT lines to stderr, in nginx's
 * "(errno: text)" form, and only when log_level allows (CONTRACT L1).
 * Checks the exact text by redirecting stderr into a pipe.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ngx_channel.h"


/* nginx's ngx_log_t begins with log_level; that is all the library reads */

struct ngx_log_s {
    ngx_uint_t  log_level;
    void       *rest[16];
};


static int  passed, failed;


static void
expect(int err_fd, const char *want, const char *what)
{
    char     buf[512];
    ssize_t  n;

    n = read(err_fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';

    if (strcmp(buf, want) == 0) {
        passed++;

    } else {
        failed++;
        printf("FAIL: %s: got \"%s\", want \"%s\"\n", what, buf, want);
    }
}


int
main(void)
{
    int            p[2], saved, fd[2];
    ngx_log_t      log;
    ngx_channel_t  ch;

    memset(&log, 0, sizeof(ngx_log_t));
    memset(&ch, 0, sizeof(ngx_channel_t));
    ch.fd = -1;

    if (pipe(p) == -1) {
        return 2;
    }

    fflush(stderr);
    saved = dup(2);
    dup2(p[1], 2);

    log.log_level = 2;    /* NGX_LOG_ALERT */
    ngx_write_channel(-1, &ch, sizeof(ngx_channel_t), &log);
    expect(p[0], "ngx_channel: [alert] sendmsg() failed (9: Bad file "
           "descriptor)\n", "W6 line");

    fd[0] = -1;
    fd[1] = -1;
    ngx_close_channel(fd, &log);
    expect(p[0], "ngx_channel: [alert] close() channel failed (9: Bad file "
           "descriptor)\nngx_channel: [alert] close() channel failed (9: Bad "
           "file descriptor)\n", "C2 lines");

    log.log_level = 1;    /* NGX_LOG_EMERG: below ALERT, nothing */
    ngx_write_channel(-1, &ch, sizeof(ngx_channel_t), &log);
    write(2, "-", 1);
    expect(p[0], "-", "L1: nothing below ALERT");

    dup2(saved, 2);

    printf("fallback_log: %d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
