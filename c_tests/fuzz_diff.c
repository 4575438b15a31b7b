
/*
 * Differential fuzzing: nginx's own ngx_channel.c (ref_ names, compiled
 * from the tree) and ngx-channel, one input driving both through the same
 * call.  The input decides the call (read or write, size, a log or NULL,
 * *ch) and what the kernel hands back: recvmsg() and sendmsg() are
 * wrapped (-Wl,--wrap) and never reach the kernel.  A read gets the byte
 * count or errno, the bytes, msg_controllen, the control data (header
 * level, type, cmsg_len, fds) and msg_flags; the fds are real, at fixed
 * numbers, created only where a kernel would have installed them.  Both
 * runs are compared on all nginx can observe: return value, errno, the
 * bytes of *ch, what was asked of recvmsg() (buffer sizes), what was
 * written (bytes, control data), the log (level and text), and which fds
 * are open afterwards.
 *
 * Where the contract (docs/CONTRACT.md) says nginx's C is undefined or
 * leaks, ours is checked against the contract and the input is counted
 * in its class, not compared: H1 (1.28's C reads a control header that
 * did not arrive), H2 (C leaves fds open that ours closes), a NULL log
 * (C crashes, H5: only ours runs).
 *
 * usage: fuzz_diff -t SECONDS [-s SEED] [-o CORPUS_OUT] [CORPUS_DIR...]
 *        fuzz_diff -r FILE_OR_DIR...     replay: every input once
 *        -b: ours deliberately broken (a bit of *ch flipped after a read)
 * Exits 1 on any difference.  Differing inputs: diff-N files in the
 * current directory.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_channel.h>

#include <dirent.h>


ngx_int_t ref_ngx_write_channel(ngx_socket_t s, ngx_channel_t *ch,
    size_t size, ngx_log_t *log);
ngx_int_t ref_ngx_read_channel(ngx_socket_t s, ngx_channel_t *ch,
    size_t size, ngx_log_t *log);

ssize_t __wrap_recvmsg(int s, struct msghdr *msg, int flags);
ssize_t __wrap_sendmsg(int s, const struct msghdr *msg, int flags);


#define INPUT_MAX  256
#define MAX_SIZE   64
#define ROOM       CMSG_SPACE(sizeof(int))
#define FDS        ((ROOM - CMSG_LEN(0)) / sizeof(int))
#define FD_BASE    900
#define EDGES      8192
#define MAX_CORPUS 8192


/* what one input asks of the call and of the "kernel" */

typedef struct {
    ngx_uint_t     write;
    ngx_uint_t     null_log;
    ngx_uint_t     level;        /* the log's level */
    size_t         size;
    u_char         ch[MAX_SIZE];
    ssize_t        n;            /* recvmsg()/sendmsg() result, -1: err */
    int            err;
    size_t         controllen;   /* msg_controllen handed back */
    u_char         control[ROOM];
    ngx_uint_t     nfds;         /* real fds at slots 0..nfds-1 */
    int            flags;        /* msg_flags handed back */
} input_t;


/* what nginx can observe of one implementation's call */

typedef struct {
    u_char         ch[MAX_SIZE];  /* first: aligned as ngx_channel_t */
    ngx_int_t      rc;
    int            err;
    size_t         iov_len;      /* asked of recvmsg(), or sent */
    size_t         room;         /* msg_controllen asked, or sent */
    u_char         sent[MAX_SIZE];
    u_char         sent_control[ROOM];
    int            send_flags;   /* without MSG_NOSIGNAL (H4) */
    ngx_uint_t     open;         /* bit i: FD_BASE + i open after */
    char           log[512];
} obs_t;


static input_t     *cur;
static obs_t       *obs;
static ngx_log_t    flog;
static int          devnull;
static u_char       edges[EDGES];
static uintptr_t    prev_pc;
static ngx_uint_t   new_edges;
static ngx_uint_t   executions, differences, classes_n, broken;

static const int    errnos[] = {
    EAGAIN, EINTR, ECONNRESET, EMSGSIZE, EMFILE, EBADF, EPIPE, ENOBUFS,
    ENOMEM, ENOTSOCK, EFAULT, EINVAL
};
static const size_t sizes[] = { 32, 32, 32, 32, 0, 8, 33, 64 };


/* nginx's C is compiled with -fsanitize-coverage=trace-pc: its edges */

void
__sanitizer_cov_trace_pc(void)
{
    uintptr_t  pc = (uintptr_t) __builtin_return_address(0);
    size_t     e = (pc ^ (prev_pc << 1)) % EDGES;

    prev_pc = pc;

    if (edges[e] == 0) {
        edges[e] = 1;
        new_edges++;
    }
}


static void
writer(ngx_log_t *log, ngx_uint_t level, u_char *buf, size_t len)
{
    u_char  *p, *last;
    size_t   used;

    /* "[level] PID#TID: text": the timestamp and the pid dropped */

    last = buf + len;

    while (last > buf && (last[-1] == '\n' || last[-1] == '\r')) {
        last--;
    }

    p = ngx_strlchr(buf, last, ']');
    p = p ? ngx_strlchr(p, last, ':') : NULL;
    p = p ? p + 2 : buf;

    used = ngx_strlen(obs->log);
    snprintf(obs->log + used, sizeof(obs->log) - used, "[%lu] %.*s|",
             (unsigned long) level, (int) (last - p), p);
}


ssize_t
__wrap_recvmsg(int s, struct msghdr *msg, int flags)
{
    size_t  n;

    obs->iov_len = msg->msg_iov[0].iov_len;
    obs->room = msg->msg_controllen;

    if (cur->n < 0) {
        errno = cur->err;
        return -1;
    }

    n = ngx_min((size_t) cur->n, msg->msg_iov[0].iov_len);
    ngx_memcpy(msg->msg_iov[0].iov_base, cur->ch, n);

    if (msg->msg_controllen >= ROOM) {
        ngx_memcpy(msg->msg_control, cur->control, ROOM);
    }

    msg->msg_controllen = ngx_min(cur->controllen, msg->msg_controllen);
    msg->msg_flags = cur->flags;

    return n;
}


ssize_t
__wrap_sendmsg(int s, const struct msghdr *msg, int flags)
{
    obs->iov_len = msg->msg_iov[0].iov_len;
    ngx_memcpy(obs->sent, msg->msg_iov[0].iov_base,
               ngx_min(obs->iov_len, (size_t) MAX_SIZE));
    obs->room = msg->msg_controllen;

    if (msg->msg_control) {
        ngx_memcpy(obs->sent_control, msg->msg_control,
                   ngx_min(msg->msg_controllen, ROOM));
    }

    obs->send_flags = flags & ~MSG_NOSIGNAL;

    if (cur->n < 0) {
        errno = cur->err;
        return -1;
    }

    return ngx_min((size_t) cur->n, obs->iov_len);
}


/* input bytes to a call; past the end every byte reads 0 */

static void
decode(const u_char *data, size_t len, input_t *in)
{
    size_t          i, pos, covered;
    struct cmsghdr  h;
    ngx_channel_t  *ch;

#define next()  (pos < len ? data[pos++] : 0)

    pos = 0;
    ngx_memzero(in, sizeof(input_t));

    i = next();
    in->write = i & 1;
    in->null_log = ((i >> 1) & 7) == 7;
    in->size = sizes[(i >> 4) & 7];
    in->level = i & 0x80 ? NGX_LOG_EMERG : NGX_LOG_DEBUG_ALL;

    for (i = 0; i < MAX_SIZE; i++) {
        in->ch[i] = next();
    }

    ch = (ngx_channel_t *) in->ch;
    i = next();
    ch->command = i % 8;
    ch->fd = (i & 0x18) == 0 ? -1 : (i & 0x18) == 8 ? FD_BASE : ch->fd;

    i = next();
    if (i % 5 == 0) {
        in->n = -1;
        in->err = errnos[next() % (sizeof(errnos) / sizeof(int))];

    } else {
        in->n = i % 5 == 1 ? (ssize_t) (next() % (in->size + 1))
                           : (ssize_t) in->size;
    }

    if (in->write || in->n <= 0) {
        return;
    }

    /* the control data: a header, then fd slots */

    i = next();
    h.cmsg_level = (i & 3) == 3 ? IPPROTO_IP : SOL_SOCKET;
    h.cmsg_type = (i & 0xc) == 0xc ? SCM_CREDENTIALS
                  : (i & 0xc) == 8 ? (int) next() : SCM_RIGHTS;
    i >>= 4;
    h.cmsg_len = i < 8 ? CMSG_LEN(sizeof(int))
                 : i < 10 ? CMSG_LEN(FDS * sizeof(int))
                 : i < 12 ? CMSG_LEN(0) : next() % (ROOM + 8);
    ngx_memcpy(in->control, &h, sizeof(struct cmsghdr));

    for (i = sizeof(struct cmsghdr); i < ROOM; i++) {
        in->control[i] = next();
    }

    i = next();
    in->controllen = i < 128 ? h.cmsg_len : i < 160 ? ROOM
                     : i < 192 ? 0 : next() % (ROOM + 1);
    in->controllen = ngx_min(in->controllen, ROOM);

    i = next();
    in->flags = (i & 1 ? MSG_CTRUNC : 0) | (i & 2 ? MSG_TRUNC : 0);
    in->flags = (i & 0xfc) == 0xfc ? 0 : in->flags;
    in->flags = (i & 0xf0) == 0 ? in->flags | MSG_EOR : in->flags;

    /* real fds where a kernel would have installed them */

    covered = ngx_min(in->controllen, (size_t) h.cmsg_len);

    if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
        for (i = 0; i < FDS; i++) {
            if (CMSG_LEN((i + 1) * sizeof(int)) > covered) {
                break;
            }

            pos = FD_BASE + i;
            ngx_memcpy(in->control + CMSG_LEN(0) + i * sizeof(int), &pos,
                       sizeof(int));
            in->nfds = i + 1;
        }
    }

#undef next
}


static void
call(input_t *in, obs_t *o, ngx_uint_t ref, ngx_uint_t with_log)
{
    int             fd;
    ngx_log_t      *log;
    ngx_uint_t      i;
    ngx_channel_t  *ch;

    ngx_memzero(o, sizeof(obs_t));
    ngx_memcpy(o->ch, in->ch, MAX_SIZE);
    cur = in;
    obs = o;
    log = with_log ? &flog : NULL;
    flog.log_level = in->level;
    ch = (ngx_channel_t *) o->ch;

    for (i = 0; i < in->nfds; i++) {
        dup2(devnull, FD_BASE + i);
    }

    if (in->write && ch->fd == FD_BASE) {
        dup2(devnull, FD_BASE);
    }

    errno = 0;

    if (in->write) {
        o->rc = ref ? ref_ngx_write_channel(3, ch, in->size, log)
                    : ngx_write_channel(3, ch, in->size, log);
    } else {
        o->rc = ref ? ref_ngx_read_channel(3, ch, in->size, log)
                    : ngx_read_channel(3, ch, in->size, log);
    }

    o->err = errno;

    /* -b: a deliberately broken ours, to show that a difference is seen */

    if (broken && !ref && !in->write && o->rc > 0) {
        o->ch[sizeof(ngx_channel_t) - 1] ^= 1;
    }

    for (i = 0; i < FDS; i++) {
        fd = FD_BASE + i;
        if (fcntl(fd, F_GETFD) != -1) {
            o->open |= 1 << i;
            close(fd);
        }
    }
}


static struct {
    char        name[96];
    ngx_uint_t  n;
}                  classes[256];
static u_char     *corpus[MAX_CORPUS];
static size_t      corpus_len[MAX_CORPUS];
static ngx_uint_t  corpus_n;
static const char *corpus_out;


/* an input's class: the call, ours's outcome, what set it apart */

static ngx_uint_t
classify(input_t *in, obs_t *ours, const char *why)
{
    char        name[96], *p, *q;
    ngx_uint_t  i;

    p = strchr(ours->log, '|');
    snprintf(name, sizeof(name), "%s rc=%s%s%.*s%s%s",
             in->write ? "write" : "read",
             ours->rc > 0 ? "n" : ours->rc == 0 ? "0"
             : ours->rc == NGX_AGAIN ? "NGX_AGAIN" : "NGX_ERROR",
             ours->log[0] ? " " : "",
             p ? (int) (p - ours->log) : 0, ours->log, *why ? " " : "", why);

    /* a count or a level in the text ("data: 5") would split a class */

    for (p = name, q = name; *p; p++) {
        if (*p >= '0' && *p <= '9' && q > name && q[-1] == ' ') {
            while (p[1] >= '0' && p[1] <= '9') {
                p++;
            }
            *q++ = 'N';

        } else {
            *q++ = *p;
        }
    }

    *q = '\0';

    for (i = 0; i < classes_n; i++) {
        if (strcmp(classes[i].name, name) == 0) {
            classes[i].n++;
            return 0;
        }
    }

    if (classes_n < 256) {
        ngx_memcpy(classes[classes_n].name, name, sizeof(name));
        classes[classes_n++].n = 1;
    }

    return 1;
}


static void
report_difference(const u_char *data, size_t len, const char *what,
    obs_t *c, obs_t *r)
{
    int   fd;
    char  name[32];

    differences++;
    snprintf(name, sizeof(name), "diff-%lu", (unsigned long) differences);
    fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd != -1) {
        if (write(fd, data, len) != (ssize_t) len) {
            perror(name);
        }
        close(fd);
    }

    if (differences <= 10) {
        printf("DIFFERENCE (%s), input %s:\n  nginx-C: rc=%ld errno=%d "
               "open=%lx log=%s\n  ours:    rc=%ld errno=%d open=%lx log=%s\n",
               what, name, (long) c->rc, c->err, (unsigned long) c->open,
               c->log, (long) r->rc, r->err, (unsigned long) r->open, r->log);
    }
}


/* one input through both; returns 1 when it showed something new */

static ngx_uint_t
run(const u_char *data, size_t len)
{
    obs_t           c, r;
    input_t         in;
    const char     *why, *what;
    ngx_uint_t      h1, handed, fresh;
    ngx_channel_t  *ch;

    decode(data, len, &in);
    executions++;
    new_edges = 0;

    call(&in, &c, 1, 1);
    call(&in, &r, 0, !in.null_log);

    ch = (ngx_channel_t *) in.ch;
    why = "";
    what = NULL;

    /*
     * H1: nginx 1.28's C reads the header of an OPEN_CHANNEL even when
     * msg_controllen says none arrived; ours follows the contract (R5)
     */

    h1 = 0;
#if !(NGX_CHANNEL_UPSTREAM_NEXT)
    h1 = !in.write && in.n >= (ssize_t) sizeof(ngx_channel_t)
         && ch->command == NGX_CMD_OPEN_CHANNEL
         && in.controllen < CMSG_LEN(sizeof(int));
#endif

    /*
     * H2: an fd that arrived and is not handed over, ours closes; a write
     * leaves the caller's fd alone
     */

    if (in.write) {
        handed = ch->fd == FD_BASE;

    } else {
        handed = r.rc > 0 && in.nfds
                 && ((ngx_channel_t *) r.ch)->command == NGX_CMD_OPEN_CHANNEL;
    }

    if (r.open & ~handed) {
        what = "H2: ours left an fd open";

    } else if (h1) {
        why = "(H1)";
        if (r.rc != NGX_ERROR
            || (in.level == NGX_LOG_DEBUG_ALL && !in.null_log
                && strstr(r.log, "too small ancillary data") == NULL))
        {
            what = "H1: ours is not R5";
        }

    } else if (c.rc != r.rc || c.err != r.err) {
        what = "return value or errno";

    } else if (ngx_memcmp(c.ch, r.ch, MAX_SIZE) != 0) {
        what = "*ch";

    } else if (c.iov_len != r.iov_len || c.room != r.room
               || ngx_memcmp(c.sent, r.sent, MAX_SIZE) != 0
               || ngx_memcmp(c.sent_control, r.sent_control, ROOM) != 0
               || c.send_flags != r.send_flags)
    {
        what = "what reached the socket";

    } else if (!in.null_log && strcmp(c.log, r.log) != 0) {
        what = "log";

    } else if ((c.open & ~r.open) != 0) {
        why = "(H2: nginx's C leaks)";

    } else if (c.open != r.open) {
        what = "fds open afterwards";
    }

    if (what == NULL && in.null_log) {
        why = r.log[0] ? "NULL log, logged" : "(NULL log)";
        what = r.log[0] ? "ours logged without a log" : NULL;
    }

    if (what) {
        report_difference(data, len, what, &c, &r);
    }

    fresh = classify(&in, &r, why);

    return new_edges || fresh;
}


static void
keep(const u_char *data, size_t len)
{
    int   fd;
    char  name[4096];

    if (corpus_n == MAX_CORPUS) {
        return;
    }

    corpus[corpus_n] = malloc(len + 1);
    ngx_memcpy(corpus[corpus_n], data, len);
    corpus_len[corpus_n++] = len;

    if (corpus_out) {
        snprintf(name, sizeof(name), "%s/%04lu", corpus_out,
                 (unsigned long) corpus_n);
        fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd != -1) {
            if (write(fd, data, len) != (ssize_t) len) {
                perror(name);
            }
            close(fd);
        }
    }
}


static void
load(const char *path, ngx_uint_t replay)
{
    int             fd;
    DIR            *d;
    char            name[4096];
    u_char          buf[INPUT_MAX];
    ssize_t         n;
    struct dirent  *e;

    d = opendir(path);

    if (d == NULL) {
        fd = open(path, O_RDONLY);
        if (fd == -1) {
            perror(path);
            exit(2);
        }

        n = read(fd, buf, sizeof(buf));
        close(fd);

        if (n >= 0 && (run(buf, n) || replay)) {
            keep(buf, n);
        }

        return;
    }

    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            snprintf(name, sizeof(name), "%s/%s", path, e->d_name);
            load(name, replay);
        }
    }

    closedir(d);
}


static uint64_t  rng;

static uint32_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t) (rng >> 16);
}


/* a fresh input, or a corpus input mutated a few times */

static size_t
mutate(u_char *buf)
{
    size_t      len, i, k, at;
    ngx_uint_t  m;

    if (corpus_n == 0 || rnd() % 8 == 0) {
        len = 16 + rnd() % (INPUT_MAX - 16);
        for (i = 0; i < len; i++) {
            buf[i] = (u_char) rnd();
        }
        return len;
    }

    m = rnd() % corpus_n;
    len = corpus_len[m];
    ngx_memcpy(buf, corpus[m], len);

    for (k = 1 + rnd() % 4; k; k--) {
        at = len ? rnd() % len : 0;

        switch (rnd() % 5) {
        case 0:
            if (len) {
                buf[at] ^= 1 << (rnd() % 8);
            }
            break;
        case 1:
            if (len) {
                buf[at] = (u_char) rnd();
            }
            break;
        case 2:
            if (len) {
                buf[at] = "\x00\x01\x02\x03\x05\x08\x10\x18\x1f\x20\x7f\x80"
                          "\xfe\xff"[rnd() % 14];
            }
            break;
        case 3:
            if (len < INPUT_MAX) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = (u_char) rnd();
                len++;
            }
            break;
        default:
            if (len > 1) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            }
        }
    }

    return len;
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


int
main(int argc, char **argv)
{
    int         opt;
    u_char      buf[INPUT_MAX];
    size_t      len;
    double      start, seconds, took;
    ngx_uint_t  replay, i, j;

    seconds = 0;
    replay = 0;
    rng = 0x9e3779b97f4a7c15ULL;

    while ((opt = getopt(argc, argv, "t:s:o:rb")) != -1) {
        switch (opt) {
        case 't':
            seconds = atof(optarg);
            break;
        case 's':
            rng ^= strtoull(optarg, NULL, 10) * 0x100000001b3ULL;
            break;
        case 'o':
            corpus_out = optarg;
            break;
        case 'r':
            replay = 1;
            break;
        case 'b':
            broken = 1;
            break;
        default:
            fprintf(stderr, "usage: fuzz_diff -t SECONDS [-s SEED] "
                    "[-o CORPUS_OUT] [CORPUS...] | -r CORPUS...\n");
            return 2;
        }
    }

    setvbuf(stdout, NULL, _IOLBF, 0);

    if (ngx_strerror_init() != NGX_OK) {
        return 2;
    }

    ngx_time_init();
    ngx_use_stderr = 0;
    ngx_memzero(&flog, sizeof(ngx_log_t));
    flog.log_level = NGX_LOG_DEBUG_ALL;
    flog.writer = writer;
    devnull = open("/dev/null", O_RDWR);

    printf("fuzz_diff: nginx-C against ngx-channel, read path %s, nginx %s\n",
#if (NGX_CHANNEL_UPSTREAM_NEXT)
           "upstream-next",
#else
           "nginx-1.28",
#endif
#if (NGX_DEBUG)
           "--with-debug"
#else
           "plain"
#endif
           );

    start = now();

    for (i = optind; i < (ngx_uint_t) argc; i++) {
        load(argv[i], replay);
    }

    printf("corpus: %lu inputs, %lu executions\n", (unsigned long) corpus_n,
           (unsigned long) executions);

    while (!replay && now() - start < seconds) {
        for (j = 0; j < 4096; j++) {
            len = mutate(buf);
            if (run(buf, len)) {
                keep(buf, len);
            }
        }
    }

    took = now() - start;

    for (i = 0, j = 0; i < EDGES; i++) {
        j += edges[i];
    }

    printf("classes of input (by ours's outcome; parenthesised: compared "
           "on what the contract defines):\n");

    for (i = 0; i < classes_n; i++) {
        printf("  %10lu  %s\n", (unsigned long) classes[i].n,
               classes[i].name);
    }

    printf("fuzz_diff: %lu executions in %.0f s (%.0f/s), %lu edges of "
           "nginx's C, corpus %lu, %lu differences\n",
           (unsigned long) executions, took, executions / (took ? took : 1),
           (unsigned long) j, (unsigned long) corpus_n,
           (unsigned long) differences);

    return differences ? 1 : 0;
}
