/*
 * Compiled by build.rs against a configured nginx (NGINX_BUILD_DIR), with
 * that nginx's compiler, CFLAGS and core include flags from its
 * objs/Makefile, and run: prints, one "NAME VALUE" line each, every offset,
 * bit and constant the nginx bridge uses, as this nginx lays them out.
 * build.rs turns them into the library's layout.rs.
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


/* name, value: every offset and constant the bridge uses */

#define LAYOUT(X)                                                            \
    X(LOG_LEVEL, offsetof(ngx_log_t, log_level))                             \
    X(CYCLE_POOL, offsetof(ngx_cycle_t, pool))                               \
    X(CYCLE_LOG, offsetof(ngx_cycle_t, log))                                 \
    X(CONN_READ, offsetof(ngx_connection_t, read))                           \
    X(CONN_WRITE, offsetof(ngx_connection_t, write))                         \
    X(CONN_POOL, offsetof(ngx_connection_t, pool))                           \
    X(EV_HANDLER, offsetof(ngx_event_t, handler))                            \
    X(EV_LOG, offsetof(ngx_event_t, log))                                    \
    X(ACTIONS_ADD, offsetof(ngx_event_actions_t, add))                       \
    X(ACTIONS_ADD_CONN, offsetof(ngx_event_actions_t, add_conn))             \
    X(READ_EVENT, NGX_READ_EVENT)                                            \
    X(USE_EPOLL_EVENT, NGX_USE_EPOLL_EVENT)                                  \
    X(LOG_ALERT, NGX_LOG_ALERT)                                              \
    X(LOG_DEBUG, NGX_LOG_DEBUG)                                              \
    X(LOG_DEBUG_CORE, NGX_LOG_DEBUG_CORE)                                    \
    X(LOG_SRC_FILE, SAME_TYPE(ngx_log_error_core, LOG_CORE_SRC_FILE))


#if (NGX_CHANNEL_EXPECT)

#define EXPECT(name, expr)                                                   \
    _Static_assert((long long) (expr) == (long long) EXP_##name,             \
                   "nginx's " #name " differs from ngx-channel's "           \
                   "src/nginx/layout.rs, and a cross build cannot measure it");
LAYOUT(EXPECT)

int
main(void)
{
    return 0;
}

#else

#define PRINT(name, expr)                                                    \
    printf("%s %lld\n", #name, (long long) (expr));


int
main(void)
{
    size_t          i, byte, bits;
    unsigned char  *p;
    ngx_event_t     ev;

    LAYOUT(PRINT)

    /* C cannot take the offset of a bit field: set it in a zeroed event */

    ngx_memzero(&ev, sizeof(ngx_event_t));
    ev.channel = 1;

    p = (unsigned char *) &ev;
    byte = 0;
    bits = 0;

    for (i = 0; i < sizeof(ngx_event_t); i++) {
        if (p[i] != 0) {
            byte = i;
            bits++;
        }
    }

    if (bits != 1) {
        fprintf(stderr, "ngx_event_t.channel: set in %zu bytes\n", bits);
        return 1;
    }

    printf("EV_CHANNEL_BYTE %zu\n", byte);
    printf("EV_CHANNEL_MASK %u\n", (unsigned) p[byte]);

    printf("NGX_DEBUG %d\n",
#if (NGX_DEBUG)
           1
#else
           0
#endif
           );
    printf("NGINX_VERSION %s\n", NGINX_VERSION);

    return 0;
}

#endif
