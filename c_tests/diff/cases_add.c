
/*
 * ngx_add_channel_event cases: CONTRACT A1-A4, on a cycle whose
 * connections come from nginx's real ngx_get_connection() and
 * ngx_free_connection(), with a fake event module in ngx_event_actions
 * that records each call.
 */

#include "util.h"


#define NCONN  4

static ngx_cycle_t        cycle;
static ngx_connection_t   conns[NCONN];
static ngx_event_t        revs[NCONN], wevs[NCONN];
static ngx_connection_t  *files[8];
static u_char             pool_stub[64];

static ngx_int_t          add_rc, add_conn_rc;
static char              *calls;
static size_t             calls_size;


static void
handler_a(ngx_event_t *ev)
{
}


static void
record(const char *fmt, long a, long b, long c)
{
    size_t  used;

    used = ngx_strlen(calls);
    snprintf(calls + used, calls_size - used, fmt, a, b, c);
}


static long
event_id(ngx_event_t *ev)
{
    ngx_uint_t  i;

    for (i = 0; i < NCONN; i++) {
        if (ev == &revs[i]) {
            return 100 + i;
        }

        if (ev == &wevs[i]) {
            return 200 + i;
        }
    }

    return -1;
}


static long
conn_id(ngx_connection_t *c)
{
    return c ? (long) (c - conns) : -1;
}


static ngx_int_t
fake_add(ngx_event_t *ev, ngx_int_t event, ngx_uint_t flags)
{
    record("add(ev=%ld, event=%#lx, flags=%lu) ", event_id(ev), event, flags);

    if (add_rc == NGX_ERROR) {
        errno = EEXIST;
    }

    return add_rc;
}


static ngx_int_t
fake_add_conn(ngx_connection_t *c)
{
    record("add_conn(c=%ld) ", conn_id(c), 0, 0);

    if (add_conn_rc == NGX_ERROR) {
        errno = EEXIST;
    }

    return add_conn_rc;
}


/* a fresh cycle with NCONN free connections, as ngx_event_process_init */

static void
setup(ngx_uint_t with_add_conn, ngx_uint_t flags, ngx_uint_t free_n)
{
    ngx_uint_t  i;

    ngx_memzero(&cycle, sizeof(ngx_cycle_t));
    ngx_memzero(conns, sizeof(conns));
    ngx_memzero(revs, sizeof(revs));
    ngx_memzero(wevs, sizeof(wevs));
    ngx_memzero(files, sizeof(files));

    cycle.pool = (ngx_pool_t *) pool_stub;
    cycle.log = &harness_log;
    cycle.connections = conns;
    cycle.connection_n = NCONN;
    ngx_queue_init(&cycle.reusable_connections_queue);

    for (i = 0; i < NCONN; i++) {
        conns[i].read = &revs[i];
        conns[i].write = &wevs[i];
        conns[i].fd = -1;
        conns[i].data = (i + 1 < free_n) ? &conns[i + 1] : NULL;
        revs[i].closed = 1;
        wevs[i].closed = 1;
        revs[i].instance = 1;
    }

    cycle.free_connections = free_n ? &conns[0] : NULL;
    cycle.free_connection_n = free_n;

    ngx_cycle = &cycle;

    ngx_memzero(&ngx_event_actions, sizeof(ngx_event_actions_t));
    ngx_event_actions.add = fake_add;
    ngx_event_actions.add_conn = with_add_conn ? fake_add_conn : NULL;
    ngx_event_flags = flags;

    add_rc = NGX_OK;
    add_conn_rc = NGX_OK;
}


static void
describe_event(obs_t *o, const char *name, ngx_event_t *ev)
{
    snprintf(o->state + ngx_strlen(o->state),
             sizeof(o->state) - ngx_strlen(o->state),
             "%s{data=c%ld log=%s channel=%u write=%u instance=%u closed=%u "
             "index=%lx handler=%s} ", name,
             conn_id(ev->data), ev->log == &harness_log ? "cycle" : "other",
             ev->channel, ev->write, ev->instance, ev->closed,
             (unsigned long) ev->index,
             ev->handler == handler_a ? "handler_a"
                                      : (ev->handler ? "other" : "NULL"));
}


static void
add(impl_t *impl, obs_t *o, ngx_int_t event)
{
    ngx_uint_t         i;
    ngx_connection_t  *c;

    calls = o->state;
    calls_size = sizeof(o->state);

    errno = 0;
    o->rc = impl->add(&cycle, 5, event, handler_a);
    o->err = errno;
    obs_trace(impl, "ngx_add_channel_event", o);

    snprintf(o->state + ngx_strlen(o->state),
             sizeof(o->state) - ngx_strlen(o->state),
             "| free=%lu head=c%ld ", (unsigned long) cycle.free_connection_n,
             conn_id(cycle.free_connections));

    for (i = 0; i < NCONN; i++) {
        c = &conns[i];

        if (c->fd == -1 && c->pool == NULL) {
            continue;
        }

        snprintf(o->state + ngx_strlen(o->state),
                 sizeof(o->state) - ngx_strlen(o->state),
                 "c%lu{fd=%d pool=%s log=%s data=c%ld} ", (unsigned long) i,
                 c->fd, c->pool == (ngx_pool_t *) pool_stub ? "cycle" : "-",
                 c->log == &harness_log ? "cycle" : "other",
                 conn_id(c->data));
        describe_event(o, "rev", c->read);
        describe_event(o, "wev", c->write);
    }
}


static void
a1_read_epoll(impl_t *impl, obs_t *o)
{
    setup(1, NGX_USE_EPOLL_EVENT | NGX_USE_CLEAR_EVENT, NCONN);
    add(impl, o, NGX_READ_EVENT);
}


static void
a1_write_epoll(impl_t *impl, obs_t *o)
{
    setup(1, NGX_USE_EPOLL_EVENT, NCONN);
    add(impl, o, NGX_WRITE_EVENT);
}


static void
a1_read_poll(impl_t *impl, obs_t *o)
{
    /* poll and select have no add_conn: ngx_add_event */

    setup(0, NGX_USE_LEVEL_EVENT | NGX_USE_FD_EVENT, NCONN);
    add(impl, o, NGX_READ_EVENT);
}


static void
a1_other_event_value(impl_t *impl, obs_t *o)
{
    setup(0, 0, NCONN);
    add(impl, o, 0x1234);
}


static void
a1_last_free_connection(impl_t *impl, obs_t *o)
{
    setup(1, NGX_USE_EPOLL_EVENT, 1);
    add(impl, o, NGX_READ_EVENT);
}


static void
a2_exhausted(impl_t *impl, obs_t *o)
{
    setup(1, NGX_USE_EPOLL_EVENT, 0);
    add(impl, o, NGX_READ_EVENT);
}


static void
a2_fd_beyond_files(impl_t *impl, obs_t *o)
{
    setup(1, NGX_USE_EPOLL_EVENT, NCONN);
    cycle.files = files;
    cycle.files_n = 4;    /* fd 5 is beyond it */
    add(impl, o, NGX_READ_EVENT);
}


static void
a3_add_fails(impl_t *impl, obs_t *o)
{
    setup(0, NGX_USE_EPOLL_EVENT, NCONN);
    add_rc = NGX_ERROR;
    add(impl, o, NGX_READ_EVENT);
}


static void
a3_add_again_is_ok(impl_t *impl, obs_t *o)
{
    setup(0, 0, NCONN);
    add_rc = NGX_AGAIN;
    add(impl, o, NGX_READ_EVENT);
}


static void
a4_add_conn(impl_t *impl, obs_t *o)
{
    setup(1, NGX_USE_CLEAR_EVENT, NCONN);
    add(impl, o, NGX_READ_EVENT);
}


static void
a4_add_conn_write(impl_t *impl, obs_t *o)
{
    setup(1, 0, NCONN);
    add(impl, o, NGX_WRITE_EVENT);
}


static void
a4_add_conn_fails(impl_t *impl, obs_t *o)
{
    setup(1, 0, NCONN);
    add_conn_rc = NGX_ERROR;
    add(impl, o, NGX_READ_EVENT);
}


static void
a1_files_table(impl_t *impl, obs_t *o)
{
    setup(1, NGX_USE_EPOLL_EVENT, NCONN);
    cycle.files = files;
    cycle.files_n = 8;
    add(impl, o, NGX_READ_EVENT);
    snprintf(o->state + ngx_strlen(o->state),
             sizeof(o->state) - ngx_strlen(o->state), "files[5]=c%ld",
             conn_id(files[5]));
}


case_t  add_cases[] = {
    { "A1_read_event_epoll_add_event", a1_read_epoll, 1, 0 },
    { "A1_write_event_epoll_add_event", a1_write_epoll, 1, 0 },
    { "A1_read_event_poll_no_add_conn", a1_read_poll, 1, 0 },
    { "A1_other_event_value_is_write", a1_other_event_value, 1, 0 },
    { "A1_last_free_connection", a1_last_free_connection, 1, 0 },
    { "A1_files_table_entry", a1_files_table, 1, 0 },
    { "A2_free_list_exhausted", a2_exhausted, 1, 0 },
    { "A2_fd_beyond_files_n", a2_fd_beyond_files, 1, 0 },
    { "A3_L3_add_event_fails_frees_connection", a3_add_fails, 1, 0 },
    { "A3_add_event_again_is_ok", a3_add_again_is_ok, 1, 0 },
    { "A4_add_conn_branch", a4_add_conn, 1, 0 },
    { "A4_add_conn_branch_write_event", a4_add_conn_write, 1, 0 },
    { "A4_L3_add_conn_fails_frees_connection", a4_add_conn_fails, 1, 0 },
    { NULL, NULL, 0, 0 }
};
