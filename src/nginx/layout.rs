// The parts of nginx's structures, and the constants, that ngx-channel's
// nginx bridge uses, as build.rs measured them (src/nginx/layout_probe.c)
// in nginx 1.28.3 on 64-bit Linux.
//
// Generated.  Built for a configured nginx (NGINX_BUILD_DIR) the library
// uses that nginx's own values, measured the same way; without one it uses
// the ones in src/nginx/layout.rs, nginx 1.28.3's: `make layout` writes
// them, `make check` fails when they are not what nginx 1.28.3 measures.

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

/// The byte of `ngx_event_t` that holds its `channel:1` bit field.
pub(crate) const EV_CHANNEL_BYTE: usize = 10;

/// The mask of the `channel` bit within that byte.
pub(crate) const EV_CHANNEL_MASK: u8 = 0x2;

/// `offsetof(ngx_event_actions_t, add)`.
pub(crate) const ACTIONS_ADD: usize = 0;

/// `offsetof(ngx_event_actions_t, add_conn)`.
pub(crate) const ACTIONS_ADD_CONN: usize = 32;

/// `NGX_READ_EVENT`.
pub(crate) const READ_EVENT: isize = 0x2001;

/// `NGX_USE_EPOLL_EVENT`.
pub(crate) const USE_EPOLL_EVENT: usize = 0x40;

/// `NGX_LOG_ALERT`.
pub(crate) const LOG_ALERT: usize = 2;

/// `NGX_LOG_DEBUG`.
pub(crate) const LOG_DEBUG: usize = 8;

/// `NGX_LOG_DEBUG_CORE`.
pub(crate) const LOG_DEBUG_CORE: usize = 0x10;

/// Whether `ngx_log_error_core` takes the caller's source file name after the log (Angie).
pub(crate) const LOG_SRC_FILE: bool = false;
