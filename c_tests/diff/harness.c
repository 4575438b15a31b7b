
/*
 * The differential harness's driver: nginx's log with a capturing writer,
 * fd bookkeeping, the comparison of two runs of each case, the report.
 *
 * usage: harness [-v]     -v prints every observation side by side
 */

#include "harness.h"

#include <dirent.h>


ngx_log_t             harness_log;

static obs_t         *log_obs;
static int            snapshot[1024];
static ngx_uint_t     snapshot_n;
static ngx_uint_t     verbose;
static ngx_uint_t     passed, failed;

extern int            better_checks(impl_t *ref, impl_t *ours,
                                    ngx_uint_t *passed, ngx_uint_t *failed);


impl_t  impl_ref = {
    "nginx-C", ref_ngx_write_channel, ref_ngx_read_channel,
    ref_ngx_add_channel_event, ref_ngx_close_channel
};

impl_t  impl_ours = {
    "ngx-channel", ngx_write_channel, ngx_read_channel,
    ngx_add_channel_event, ngx_close_channel
};


/* the ngx_log_t writer: keeps "[level] message (err: text)" */

static void
capture_writer(ngx_log_t *log, ngx_uint_t level, u_char *buf, size_t len)
{
    u_char  *p, *last, *colon;
    size_t   room, used;

    if (log_obs == NULL) {
        return;
    }

    last = buf + len;

    /* skip the timestamp up to " [", and "PID#TID: " after "] " */

    p = ngx_strlchr(buf, last, '[');
    if (p == NULL) {
        p = buf;
    }

    colon = ngx_strlchr(p, last, ']');
    used = ngx_strlen(log_obs->log);
    room = OBS_TEXT - used - 1;

    if (colon && colon + 2 < last) {
        size_t  n = colon + 2 - p;

        n = ngx_min(n, room);
        ngx_memcpy(log_obs->log + used, p, n);
        used += n;
        room -= n;

        p = ngx_strlchr(colon + 2, last, ':');
        p = p ? p + 2 : colon + 2;
    }

    len = ngx_min((size_t) (last - p), room);
    ngx_memcpy(log_obs->log + used, p, len);
    log_obs->log[used + len] = '\0';
}


void
log_reset(obs_t *o)
{
    log_obs = o;
    o->log[0] = '\0';
    harness_log.log_level = NGX_LOG_DEBUG_ALL;
}


void
log_level(ngx_uint_t level)
{
    harness_log.log_level = level;
}


void
fds_snapshot(void)
{
    DIR            *d;
    struct dirent  *e;

    snapshot_n = 0;
    d = opendir("/proc/self/fd");

    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d)
            && snapshot_n < 1024)
        {
            snapshot[snapshot_n++] = atoi(e->d_name);
        }
    }

    closedir(d);
}


/* counts fds opened since fds_snapshot(), and closes them */

int
fds_leaked(void)
{
    int             fd, n, known;
    DIR            *d;
    ngx_uint_t      i;
    struct dirent  *e;
    int             extra[64];

    n = 0;
    d = opendir("/proc/self/fd");

    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }

        fd = atoi(e->d_name);

        if (fd == dirfd(d)) {
            continue;
        }

        known = 0;
        for (i = 0; i < snapshot_n; i++) {
            if (snapshot[i] == fd) {
                known = 1;
            }
        }

        if (!known && n < 64) {
            extra[n++] = fd;
        }
    }

    closedir(d);

    for (fd = 0; fd < n; fd++) {
        close(extra[fd]);
    }

    return n;
}


/*
 * Records an fd as its number and the file it refers to, named by order of
 * first appearance in this observation (file0, file1, ...), so that two
 * runs that create their own files compare equal when they pass the same
 * ones around.
 */

void
obs_fd(obs_t *o, const char *what, int fd)
{
    size_t       used;
    ngx_uint_t   i;
    struct stat  st;

    used = ngx_strlen(o->fds);

    if (fstat(fd, &st) == -1) {
        snprintf(o->fds + used, sizeof(o->fds) - used, "%s=%d(closed) ",
                 what, fd);
        return;
    }

    for (i = 0; i < o->files_n; i++) {
        if (o->files[i].dev == st.st_dev && o->files[i].ino == st.st_ino) {
            break;
        }
    }

    if (i == o->files_n && i < 8) {
        o->files[i].dev = st.st_dev;
        o->files[i].ino = st.st_ino;
        o->files_n++;
    }

    snprintf(o->fds + used, sizeof(o->fds) - used, "%s=%d(file%lu) ", what,
             fd, (unsigned long) i);
}


void
obs_trace(impl_t *impl, const char *call, obs_t *o)
{
    printf("    TRACE[%s](%s) -> %ld errno=%d\n", impl->name, call,
           (long) o->rc, o->err);
}


static void
hex(char *out, size_t size, u_char *p, ssize_t n)
{
    ssize_t  i;
    size_t   used;

    used = 0;
    out[0] = '\0';

    for (i = 0; i < n && used + 3 < size; i++) {
        used += snprintf(out + used, size - used, "%02x", p[i]);
    }
}


static ngx_uint_t
differ(const char *field, const char *a, const char *b)
{
    if (strcmp(a, b) == 0) {
        if (verbose) {
            printf("      %-6s = %s\n", field, a);
        }

        return 0;
    }

    printf("      DIFF %s\n        nginx-C:     %s\n        ngx-channel: %s\n",
           field, a, b);
    return 1;
}


static ngx_uint_t
compare(case_t *c, obs_t *a, obs_t *b)
{
    char        x[512], y[512];
    ngx_uint_t  d;

    d = 0;

    snprintf(x, sizeof(x), "%ld", (long) a->rc);
    snprintf(y, sizeof(y), "%ld", (long) b->rc);
    d += differ("rc", x, y);

    snprintf(x, sizeof(x), "%d", a->err);
    snprintf(y, sizeof(y), "%d", b->err);
    d += differ("errno", x, y);

    hex(x, sizeof(x), a->ch, a->ch_len);
    hex(y, sizeof(y), b->ch, b->ch_len);
    d += differ("*ch", x, y);

    hex(x, sizeof(x), a->peer, a->peer_n);
    hex(y, sizeof(y), b->peer, b->peer_n);
    snprintf(x + ngx_strlen(x), sizeof(x) - ngx_strlen(x), " (%ld)",
             (long) a->peer_n);
    snprintf(y + ngx_strlen(y), sizeof(y) - ngx_strlen(y), " (%ld)",
             (long) b->peer_n);
    d += differ("peer", x, y);

    d += differ("log", a->log, b->log);
    d += differ("state", a->state, b->state);

    if (c->compare_fds) {
        d += differ("fds", a->fds, b->fds);

        snprintf(x, sizeof(x), "%d", a->leaked);
        snprintf(y, sizeof(y), "%d", b->leaked);
        d += differ("leaked", x, y);
    }

    return d;
}


static void
run_case(case_t *c)
{
    ngx_uint_t  d;
    obs_t       a, b;

    printf("case %s\n", c->name);

    ngx_memzero(&a, sizeof(obs_t));
    ngx_memzero(&b, sizeof(obs_t));
    a.peer_n = -1;
    b.peer_n = -1;

    fds_snapshot();
    log_reset(&a);
    c->run(&impl_ref, &a);
    a.leaked = fds_leaked();

    fds_snapshot();
    log_reset(&b);
    c->run(&impl_ours, &b);
    b.leaked = fds_leaked();

    log_obs = NULL;

#if !(NGX_CHANNEL_UPSTREAM_NEXT)

    /* the read path of nginx's fd-table fix (upstream-next) checks
       msg_controllen first: there the result is defined, and compared */

    if (c->ub_in_c) {
        printf("    (nginx's C reads uninitialised memory here: see the H1"
               " checks)\n");
        passed++;
        return;
    }

#endif

    d = compare(c, &a, &b);

    if (d) {
        failed++;
        printf("  FAIL %s: %lu differences\n", c->name, (unsigned long) d);

    } else {
        passed++;
        printf("  ok   %s\n", c->name);
    }
}


int
main(int argc, char **argv)
{
    case_t      *sets[6], *c;
    ngx_uint_t   i;

    verbose = (argc > 1 && strcmp(argv[1], "-v") == 0);

    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);

    /*
     * as nginx's main() does: an nginx without strerrordesc_np() support
     * (1.18, for one) formats errno from a table ngx_strerror_init() fills
     */

    if (ngx_strerror_init() != NGX_OK) {
        return 2;
    }

    ngx_time_init();
    ngx_use_stderr = 0;

    ngx_memzero(&harness_log, sizeof(ngx_log_t));
    harness_log.log_level = NGX_LOG_DEBUG_ALL;
    harness_log.writer = capture_writer;

#if (NGX_DEBUG)
    printf("nginx configured --with-debug\n");
#else
    printf("nginx configured without --with-debug\n");
#endif

#if (NGX_CHANNEL_UPSTREAM_NEXT)
    printf("read path: nginx's fd-table fix (ours built with "
           "upstream-next)\n");
#else
    printf("read path: nginx 1.28's\n");
#endif

    sets[0] = write_cases;
    sets[1] = read_cases;
    sets[2] = add_cases;
    sets[3] = close_cases;
    sets[4] = fault_cases;
    sets[5] = injected_cases;

    for (i = 0; i < 6; i++) {
        for (c = sets[i]; c->name; c++) {
            run_case(c);
        }
    }

    better_checks(&impl_ref, &impl_ours, &passed, &failed);

    printf("\nharness: %lu passed, %lu failed\n", (unsigned long) passed,
           (unsigned long) failed);

    return failed ? 1 : 0;
}
