
/*
 * One round trip of the channel: write one 32-byte message on a
 * non-blocking AF_UNIX socketpair, read it back, in three implementations
 * linked into this one program:
 *
 *   raw    sendmsg()/recvmsg() as nginx calls them, no checks: the floor;
 *   C      nginx's own ngx_channel.c, compiled with ref_ names and nginx's
 *          CFLAGS from the same tree;
 *   ours   ngx-channel's libngx_channel.a.
 *
 * Two modes: fd == -1, and OPEN_CHANNEL passing a pipe fd each time (the
 * receiver closes what it gets).
 *
 *   roundtrip time ROUNDS N      interleaved timing, one line per sample
 *   roundtrip count IMPL MODE N  N round trips in loop_IMPL_MODE() (for
 *                                callgrind --toggle-collect)
 *   roundtrip allocs N           heap allocations per round trip
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_channel.h>

#include <time.h>


ngx_int_t ref_ngx_write_channel(ngx_socket_t s, ngx_channel_t *ch,
    size_t size, ngx_log_t *log);
ngx_int_t ref_ngx_read_channel(ngx_socket_t s, ngx_channel_t *ch,
    size_t size, ngx_log_t *log);


typedef ngx_int_t (*rw_pt)(ngx_socket_t s, ngx_channel_t *ch, size_t size,
    ngx_log_t *log);


static int        sv[2], pass_fd;
static ngx_log_t  bench_log;


/* the floor: what nginx's functions reduce to on success */

static ngx_int_t
raw_write(ngx_socket_t s, ngx_channel_t *ch, size_t size, ngx_log_t *log)
{
    struct iovec   iov;
    struct msghdr  msg;
    union {
        struct cmsghdr  cm;
        char            space[CMSG_SPACE(sizeof(int))];
    } cmsg;

    iov.iov_base = (char *) ch;
    iov.iov_len = size;
    msg.msg_name = NULL;
    msg.msg_namelen = 0;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_flags = 0;

    if (ch->fd == -1) {
        msg.msg_control = NULL;
        msg.msg_controllen = 0;

    } else {
        msg.msg_control = &cmsg;
        msg.msg_controllen = sizeof(cmsg);
        cmsg.cm.cmsg_len = CMSG_LEN(sizeof(int));
        cmsg.cm.cmsg_level = SOL_SOCKET;
        cmsg.cm.cmsg_type = SCM_RIGHTS;
        ngx_memcpy(CMSG_DATA(&cmsg.cm), &ch->fd, sizeof(int));
    }

    return sendmsg(s, &msg, 0) == -1 ? NGX_ERROR : NGX_OK;
}


static ngx_int_t
raw_read(ngx_socket_t s, ngx_channel_t *ch, size_t size, ngx_log_t *log)
{
    ssize_t        n;
    struct iovec   iov;
    struct msghdr  msg;
    union {
        struct cmsghdr  cm;
        char            space[CMSG_SPACE(sizeof(int))];
    } cmsg;

    iov.iov_base = (char *) ch;
    iov.iov_len = size;
    msg.msg_name = NULL;
    msg.msg_namelen = 0;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &cmsg;
    msg.msg_controllen = sizeof(cmsg);

    n = recvmsg(s, &msg, 0);

    if (n > 0 && ch->command == NGX_CMD_OPEN_CHANNEL) {
        ngx_memcpy(&ch->fd, CMSG_DATA(&cmsg.cm), sizeof(int));
    }

    return n;
}


static void
round_trips(rw_pt w, rw_pt r, ngx_uint_t n, int with_fd)
{
    ngx_uint_t     i;
    ngx_channel_t  out, in;

    ngx_memzero(&out, sizeof(ngx_channel_t));
    out.command = with_fd ? NGX_CMD_OPEN_CHANNEL : NGX_CMD_QUIT;
    out.pid = 1;
    out.slot = 2;
    out.fd = with_fd ? pass_fd : -1;

    for (i = 0; i < n; i++) {
        if (w(sv[0], &out, sizeof(ngx_channel_t), &bench_log) != NGX_OK
            || r(sv[1], &in, sizeof(ngx_channel_t), &bench_log)
               != (ngx_int_t) sizeof(ngx_channel_t))
        {
            fprintf(stderr, "round trip failed\n");
            exit(2);
        }

        if (with_fd) {
            close(in.fd);
        }
    }
}


/* one function per implementation and mode, for callgrind */

#define LOOP(name, w, r, fd)                                                  \
    void __attribute__((noinline)) loop_##name(ngx_uint_t n)                  \
    {                                                                         \
        round_trips(w, r, n, fd);                                             \
    }

LOOP(raw_nofd, raw_write, raw_read, 0)
LOOP(raw_fd, raw_write, raw_read, 1)
LOOP(c_nofd, ref_ngx_write_channel, ref_ngx_read_channel, 0)
LOOP(c_fd, ref_ngx_write_channel, ref_ngx_read_channel, 1)
LOOP(ours_nofd, ngx_write_channel, ngx_read_channel, 0)
LOOP(ours_fd, ngx_write_channel, ngx_read_channel, 1)


typedef struct {
    const char  *impl;
    const char  *mode;
    void       (*loop)(ngx_uint_t n);
} variant_t;


static variant_t  variants[] = {
    { "raw", "nofd", loop_raw_nofd },
    { "C", "nofd", loop_c_nofd },
    { "ours", "nofd", loop_ours_nofd },
    { "raw", "fd", loop_raw_fd },
    { "C", "fd", loop_c_fd },
    { "ours", "fd", loop_ours_fd },
    { NULL, NULL, NULL }
};


/* heap allocations, counted by interposing glibc's allocator */

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

static ngx_uint_t  allocations;

void *
malloc(size_t size)
{
    allocations++;
    return __libc_malloc(size);
}

void *
calloc(size_t n, size_t size)
{
    allocations++;
    return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t size)
{
    allocations++;
    return __libc_realloc(p, size);
}


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


int
main(int argc, char **argv)
{
    int          p[2];
    double       t0;
    ngx_uint_t   n, rounds, round, before;
    variant_t   *v;

    if (argc < 3) {
        fprintf(stderr, "usage: roundtrip time ROUNDS N | count IMPL MODE N"
                        " | allocs N\n");
        return 2;
    }

    ngx_memzero(&bench_log, sizeof(ngx_log_t));
    bench_log.log_level = NGX_LOG_ERR;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 || pipe(p) == -1) {
        return 2;
    }

    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    pass_fd = p[0];

    if (strcmp(argv[1], "count") == 0 && argc == 5) {
        n = strtoul(argv[4], NULL, 10);

        for (v = variants; v->impl; v++) {
            if (strcmp(v->impl, argv[2]) == 0
                && strcmp(v->mode, argv[3]) == 0)
            {
                v->loop(n);
                return 0;
            }
        }

        return 2;
    }

    if (strcmp(argv[1], "allocs") == 0) {
        n = strtoul(argv[2], NULL, 10);

        for (v = variants; v->impl; v++) {
            v->loop(1);
            before = allocations;
            v->loop(n);
            printf("allocs %s %s %.3f\n", v->impl, v->mode,
                   (double) (allocations - before) / n);
        }

        return 0;
    }

    if (strcmp(argv[1], "time") == 0 && argc == 4) {
        rounds = strtoul(argv[2], NULL, 10);
        n = strtoul(argv[3], NULL, 10);

        for (v = variants; v->impl; v++) {
            v->loop(n / 10 + 1);    /* warm up */
        }

        /* interleaved: every round runs every variant once */

        for (round = 0; round < rounds; round++) {
            for (v = variants; v->impl; v++) {
                t0 = now_ns();
                v->loop(n);
                printf("time %s %s %.1f\n", v->impl, v->mode,
                       (now_ns() - t0) / n);
            }
        }

        return 0;
    }

    return 2;
}
