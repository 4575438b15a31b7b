// The parts of nginx's structures that ngx_add_channel_event() touches, for
// nginx 1.28.3 on 64-bit Linux (x86_64, aarch64): identical across every
// configure variant measured (minimal, default, debug, compat, threads,
// select/poll, http_v3/aio).  This file holds plain constants only, because
// build.rs includes it too: with NGINX_BUILD_DIR it checks each value against
// that nginx's real headers and fails the build on any difference.

/// `offsetof(ngx_log_t, log_level)`.
pub(crate) const LOG_LEVEL: usize = 0;
/// `offsetof(ngx_cycle_t, pool)`.
pub(crate) const CYCLE_POOL: usize = 8;
/// `offsetof(ngx_cycle_t, log)`.
pub(crate) const CYCLE_LOG: usize = 16;
/// `offsetof(ngx_connection_t, read)`.
pub(crate) const CONN_READ: usize = 8;
/// `offsetof(ngx_connection_t, write)`.
pub(crate) const CONN_WRITE: usize = 16;
/// `offsetof(ngx_connection_t, pool)`.
pub(crate) const CONN_POOL: usize = 88;
/// `offsetof(ngx_event_t, handler)`.
pub(crate) const EV_HANDLER: usize = 16;
/// `offsetof(ngx_event_t, log)`.
pub(crate) const EV_LOG: usize = 32;
/// The byte of `ngx_event_t` that holds the `channel:1` bit field.
pub(crate) const EV_CHANNEL_BYTE: usize = 10;
/// The mask of the `channel:1` bit within that byte.
pub(crate) const EV_CHANNEL_MASK: u8 = 0x02;
/// `offsetof(ngx_event_actions_t, add)`.
pub(crate) const ACTIONS_ADD: usize = 0;
/// `offsetof(ngx_event_actions_t, add_conn)`.
pub(crate) const ACTIONS_ADD_CONN: usize = 32;
/// `NGX_READ_EVENT`: `EPOLLIN|EPOLLRDHUP` on Linux, even with poll or select.
pub(crate) const READ_EVENT: isize = 0x2001;
/// `NGX_USE_EPOLL_EVENT`.
pub(crate) const USE_EPOLL_EVENT: usize = 0x40;
