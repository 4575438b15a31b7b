/*
 * Compiled by build.rs against a configured nginx (NGINX_BUILD_DIR): checks
 * that the structure offsets, the "channel" bit, NGX_READ_EVENT and
 * NGX_USE_EPOLL_EVENT are the values of src/nginx/layout.rs (passed as
 * EXP_* macros), and reports NGX_DEBUG.  Offsets and constants fail at
 * compile time; the bit field, which C cannot take the offset of, is found
 * by setting it in a zeroed event and is checked when the program runs.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <stdio.h>


#define CHECK(expr, exp, what)                                               \
    _Static_assert((expr) == (exp), "nginx's " what " differs from "         \
                   "ngx-channel's src/nginx/layout.rs")

CHECK(offsetof(ngx_log_t, log_level), EXP_LOG_LEVEL, "ngx_log_t.log_level");
CHECK(offsetof(ngx_cycle_t, pool), EXP_CYCLE_POOL, "ngx_cycle_t.pool");
CHECK(offsetof(ngx_cycle_t, log), EXP_CYCLE_LOG, "ngx_cycle_t.log");
CHECK(offsetof(ngx_connection_t, read), EXP_CONN_READ,
      "ngx_connection_t.read");
CHECK(offsetof(ngx_connection_t, write), EXP_CONN_WRITE,
      "ngx_connection_t.write");
CHECK(offsetof(ngx_connection_t, pool), EXP_CONN_POOL,
      "ngx_connection_t.pool");
CHECK(offsetof(ngx_event_t, handler), EXP_EV_HANDLER, "ngx_event_t.handler");
CHECK(offsetof(ngx_event_t, log), EXP_EV_LOG, "ngx_event_t.log");
CHECK(offsetof(ngx_event_actions_t, add), EXP_ACTIONS_ADD,
      "ngx_event_actions_t.add");
CHECK(offsetof(ngx_event_actions_t, add_conn), EXP_ACTIONS_ADD_CONN,
      "ngx_event_actions_t.add_conn");
CHECK(NGX_READ_EVENT, EXP_READ_EVENT, "NGX_READ_EVENT");
CHECK(NGX_USE_EPOLL_EVENT, EXP_USE_EPOLL_EVENT, "NGX_USE_EPOLL_EVENT");
CHECK(sizeof(ngx_uint_t), sizeof(void *), "ngx_uint_t");
CHECK(sizeof(ngx_int_t), sizeof(void *), "ngx_int_t");
CHECK(sizeof(ngx_event_handler_pt), sizeof(void *), "ngx_event_handler_pt");


int
main(void)
{
    size_t          i, byte, bits;
    unsigned char  *p;
    ngx_event_t     ev;

    ngx_memzero(&ev, sizeof(ngx_event_t));
    ev.channel = 1;

    p = (unsigned char *) &ev;
    byte = sizeof(ngx_event_t);
    bits = 0;

    for (i = 0; i < sizeof(ngx_event_t); i++) {
        if (p[i] != 0) {
            byte = i;
            bits++;
        }
    }

    if (bits != 1 || byte != EXP_EV_CHANNEL_BYTE
        || p[byte] != EXP_EV_CHANNEL_MASK)
    {
        printf("ngx_event_t.channel: byte %zu mask 0x%02x, expected byte %d "
               "mask 0x%02x\n", byte, byte < sizeof(ngx_event_t) ? p[byte] : 0,
               EXP_EV_CHANNEL_BYTE, EXP_EV_CHANNEL_MASK);
        return 1;
    }

#if (NGX_DEBUG)
    printf("NGX_DEBUG 1\n");
#else
    printf("NGX_DEBUG 0\n");
#endif

    return 0;
}
