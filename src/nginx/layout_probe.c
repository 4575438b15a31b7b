/*
 * Compiled by build.rs against a configured nginx (NGINX_BUILD_DIR), with
 * that nginx's compiler, CFLAGS and core include flags from its
 * objs/Makefile, and run: prints, one "NAME=value" line each, nginx's
 * version, whether it is built with NGX_DEBUG, and every offset, bit and
 * constant the nginx bridge uses, as this nginx lays them out.
 *
 * What cannot differ without breaking nginx's own ABI with its modules (the
 * message, the return values, the commands: CONTRACT B1, B6), and the
 * types of the nginx functions the bridge calls, are asserted here instead:
 * a difference fails the build.
 *
 * Built with -DNGX_CHANNEL_EXPECT and EXP_* values (a cross build, which
 * cannot run it), it only asserts that the offsets and constants are those
 * values.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_channel.h>

#include <stdio.h>


#define ABI(expr, what)                                                      \
    _Static_assert(expr, "nginx's " what " differs from the ABI "            \
                   "ngx-channel implements (docs/CONTRACT.md B1, B6)")

ABI(sizeof(ngx_channel_t) == 4 * sizeof(void *), "sizeof(ngx_channel_t)");
ABI(offsetof(ngx_channel_t, command) == 0, "ngx_channel_t.command");
ABI(offsetof(ngx_channel_t, pid) == sizeof(void *), "ngx_channel_t.pid");
ABI(offsetof(ngx_channel_t, slot) == 2 * sizeof(void *), "ngx_channel_t.slot");
ABI(offsetof(ngx_channel_t, fd) == 3 * sizeof(void *), "ngx_channel_t.fd");
ABI(sizeof(ngx_int_t) == sizeof(void *), "ngx_int_t");
ABI(sizeof(ngx_uint_t) == sizeof(void *), "ngx_uint_t");
ABI(sizeof(ngx_fd_t) == sizeof(int) && sizeof(ngx_socket_t) == sizeof(int),
    "ngx_fd_t or ngx_socket_t");
ABI(sizeof(ngx_event_handler_pt) == sizeof(void *), "ngx_event_handler_pt");
ABI(NGX_OK == 0 && NGX_ERROR == -1 && NGX_AGAIN == -2, "NGX_OK/ERROR/AGAIN");
ABI(NGX_CMD_OPEN_CHANNEL == 1 && NGX_CMD_CLOSE_CHANNEL == 2
    && NGX_CMD_QUIT == 3 && NGX_CMD_TERMINATE == 4 && NGX_CMD_REOPEN == 5,
    "NGX_CMD_*");


/*
 * The nginx functions and data the bridge calls or reads, with the types
 * it calls and reads them with.  ngx_log_error_core has two forms: nginx's
 * (level, log, err, fmt, ...) and Angie's, which takes the caller's source
 * file name after the log (LOG_SRC_FILE below).
 */

#define SAME_TYPE(x, type)  __builtin_types_compatible_p(__typeof__(x), type)

#define LOG_CORE_NGINX                                                       \
    void (ngx_uint_t, ngx_log_t *, ngx_err_t, const char *, ...)
#define LOG_CORE_SRC_FILE                                                    \
    void (ngx_uint_t, ngx_log_t *, const char *, ngx_err_t, const char *, ...)

#define BRIDGE(expr, what)                                                   \
    _Static_assert(expr, "nginx's " what " is not of a type the nginx "      \
                   "bridge of ngx-channel knows (src/nginx/mod.rs)")

BRIDGE(SAME_TYPE(ngx_log_error_core, LOG_CORE_NGINX)
       || SAME_TYPE(ngx_log_error_core, LOG_CORE_SRC_FILE),
       "ngx_log_error_core");
BRIDGE(SAME_TYPE(ngx_get_connection,
                 ngx_connection_t *(ngx_socket_t, ngx_log_t *)),
       "ngx_get_connection");
BRIDGE(SAME_TYPE(ngx_free_connection, void (ngx_connection_t *)),
       "ngx_free_connection");
BRIDGE(SAME_TYPE(ngx_event_actions.add,
                 ngx_int_t (*)(ngx_event_t *, ngx_int_t, ngx_uint_t)),
       "ngx_event_actions_t.add");
BRIDGE(SAME_TYPE(ngx_event_actions.add_conn,
                 ngx_int_t (*)(ngx_connection_t *)),
       "ngx_event_actions_t.add_conn");
BRIDGE(SAME_TYPE(ngx_event_flags, ngx_uint_t), "ngx_event_flags");
BRIDGE(SAME_TYPE(((ngx_log_t *) 0)->log_level, ngx_uint_t),
       "ngx_log_t.log_level");


/*
 * The one list of what the bridge reads of nginx: name, Rust type, value.
 * The probe prints each as a line of build.rs's record of this nginx,
 * "NAME=value # type: what", and build.rs turns those lines into the
 * library's layout module; src/nginx/nginx-1.28.3.layout holds nginx
 * 1.28.3's, the default.
 */

#define LAYOUT(X)                                                            \
    X(LOG_LEVEL, usize, offsetof(ngx_log_t, log_level))                      \
    X(CYCLE_POOL, usize, offsetof(ngx_cycle_t, pool))                        \
    X(CYCLE_LOG, usize, offsetof(ngx_cycle_t, log))                          \
    X(CONN_READ, usize, offsetof(ngx_connection_t, read))                    \
    X(CONN_WRITE, usize, offsetof(ngx_connection_t, write))                  \
    X(CONN_POOL, usize, offsetof(ngx_connection_t, pool))                    \
    X(EV_HANDLER, usize, offsetof(ngx_event_t, handler))                     \
    X(EV_LOG, usize, offsetof(ngx_event_t, log))                             \
    X(EV_CHANNEL_BYTE, usize, channel_byte())                                \
    X(EV_CHANNEL_MASK, u8, channel_mask())                                   \
    X(ACTIONS_ADD, usize, offsetof(ngx_event_actions_t, add))                \
    X(ACTIONS_ADD_CONN, usize, offsetof(ngx_event_actions_t, add_conn))      \
    X(READ_EVENT, isize, NGX_READ_EVENT)                                     \
    X(USE_EPOLL_EVENT, usize, NGX_USE_EPOLL_EVENT)                           \
    X(LOG_ALERT, usize, NGX_LOG_ALERT)                                       \
    X(LOG_DEBUG, usize, NGX_LOG_DEBUG)                                       \
    X(LOG_DEBUG_CORE, usize, NGX_LOG_DEBUG_CORE)                             \
    X(LOG_SRC_FILE, bool, SAME_TYPE(ngx_log_error_core, LOG_CORE_SRC_FILE))


#if (NGX_CHANNEL_EXPECT)

#define channel_byte()  EXP_EV_CHANNEL_BYTE
#define channel_mask()  EXP_EV_CHANNEL_MASK
#define EXPECT(name, type, expr)                                             \
    _Static_assert((long long) (expr) == (long long) EXP_##name,             \
                   "nginx's " #name " differs from ngx-channel's default "   \
                   "layout, and a cross build cannot measure it");
LAYOUT(EXPECT)

int
main(void)
{
    return 0;
}

#else

/*
 * C cannot take the offset of a bit field: the byte and the mask of the
 * channel bit are found by setting it in a zeroed event.
 */

static size_t  channel_at;
static u_char  channel_bits;


static int
find_channel_bit(void)
{
    size_t        i, found;
    u_char       *p;
    ngx_event_t   ev;

    ngx_memzero(&ev, sizeof(ngx_event_t));
    ev.channel = 1;

    p = (u_char *) &ev;
    found = 0;

    for (i = 0; i < sizeof(ngx_event_t); i++) {
        if (p[i] != 0) {
            channel_at = i;
            channel_bits = p[i];
            found++;
        }
    }

    return found == 1 ? 0 : -1;
}

#define channel_byte()  channel_at
#define channel_mask()  channel_bits

#define PRINT(name, type, expr)                                              \
    printf("%s=%lld # %s: %s\n", #name, (long long) (expr), #type, #expr);


int
main(void)
{
    if (find_channel_bit() != 0) {
        fprintf(stderr, "ngx_event_t.channel: not one bit of one byte\n");
        return 1;
    }

    printf("NGINX_VERSION='%s'\n", NGINX_VERSION);
    printf("NGX_DEBUG=%d\n",
#if (NGX_DEBUG)
           1
#else
           0
#endif
           );

    LAYOUT(PRINT)

    return 0;
}

#endif
