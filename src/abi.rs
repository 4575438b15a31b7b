//! The C types and constants of nginx's channel ABI (CONTRACT B1, B6).

use core::mem::{offset_of, size_of};

/// nginx's `ngx_int_t` (`intptr_t`).
pub type ngx_int_t = isize;
/// nginx's `ngx_uint_t` (`uintptr_t`).
pub type ngx_uint_t = usize;
/// nginx's `ngx_pid_t` (`pid_t`).
pub type ngx_pid_t = libc::pid_t;
/// nginx's `ngx_fd_t` (`int`).
pub type ngx_fd_t = libc::c_int;
/// nginx's `ngx_socket_t` (`int`).
pub type ngx_socket_t = libc::c_int;
/// nginx's `ngx_err_t` (`int`).
pub type ngx_err_t = libc::c_int;

/// nginx's `ngx_log_t`, opaque here: only `log_level` is ever read, at the
/// offset the nginx bridge states.
#[repr(C)]
pub struct ngx_log_t {
    _opaque: [u8; 0],
}

/// nginx's `ngx_cycle_t`, opaque here.
#[repr(C)]
pub struct ngx_cycle_t {
    _opaque: [u8; 0],
}

/// nginx's `ngx_event_t`, opaque here.
#[repr(C)]
pub struct ngx_event_t {
    _opaque: [u8; 0],
}

/// nginx's `ngx_event_handler_pt`: `void (*)(ngx_event_t *ev)`.
pub type ngx_event_handler_pt = Option<unsafe extern "C" fn(ev: *mut ngx_event_t)>;

/// The message that travels over a channel, byte for byte nginx's
/// `ngx_channel_t`: four words, 32 bytes on LP64 (with 4 bytes of padding
/// after `pid` and 4 after `fd` that go over the wire as they are in
/// memory), 16 on ILP32.
#[cfg(not(ngx_channel_cbindgen_nginx))]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ngx_channel_t {
    /// One of the `NGX_CMD_*` values, or a module's own command.
    pub command: ngx_uint_t,
    /// The pid of the process the message is about.
    pub pid: ngx_pid_t,
    /// The process slot the message is about.
    pub slot: ngx_int_t,
    /// A file descriptor passed with the message, or -1.
    pub fd: ngx_fd_t,
}

/// nginx's `NGX_OK`.
pub const NGX_OK: ngx_int_t = 0;
/// nginx's `NGX_ERROR`.
pub const NGX_ERROR: ngx_int_t = -1;
/// nginx's `NGX_AGAIN`.
pub const NGX_AGAIN: ngx_int_t = -2;

/// Announces a worker's channel; the message carries the fd (SCM_RIGHTS).
pub const NGX_CMD_OPEN_CHANNEL: ngx_uint_t = 1;
/// Tells a worker to close its copy of another worker's channel.
pub const NGX_CMD_CLOSE_CHANNEL: ngx_uint_t = 2;
/// Graceful shutdown.
pub const NGX_CMD_QUIT: ngx_uint_t = 3;
/// Fast shutdown.
pub const NGX_CMD_TERMINATE: ngx_uint_t = 4;
/// Reopen log files.
pub const NGX_CMD_REOPEN: ngx_uint_t = 5;

#[cfg(not(target_os = "linux"))]
compile_error!(
    "ngx-channel supports Linux: its control messages (SCM_RIGHTS, MSG_CTRUNC, \
     the errors recvmsg() gives) and nginx's layouts are proven there only \
     (docs/COMPAT.md); other systems are refused until they are proven"
);

/// The size of a pointer, of `ngx_int_t` and of `ngx_uint_t`.
// (rustc 1.85, Debian trixie's, counts no use in `const _` items)
#[allow(dead_code)]
const WORD: usize = size_of::<usize>();

// CONTRACT B1: the layout nginx puts on the wire: four words (32 bytes on
// LP64, 16 on ILP32), pid and fd each in a word of its own.
const _: () = assert!(size_of::<ngx_channel_t>() == 4 * WORD);
const _: () = assert!(offset_of!(ngx_channel_t, command) == 0);
const _: () = assert!(offset_of!(ngx_channel_t, pid) == WORD);
const _: () = assert!(offset_of!(ngx_channel_t, slot) == 2 * WORD);
const _: () = assert!(offset_of!(ngx_channel_t, fd) == 3 * WORD);
const _: () = assert!(core::mem::align_of::<ngx_channel_t>() == WORD);
