//! The four functions of nginx's `ngx_channel.c`, at its C ABI.
//!
//! Each one checks its pointers, calls the wire (or the nginx bridge for
//! the event loop), and maps the outcome to nginx's return value and log
//! line.  The crate root states the pointer contract they share.

use crate::abi::{
    ngx_channel_t, ngx_cycle_t, ngx_event_handler_pt, ngx_fd_t, ngx_int_t, ngx_log_t, ngx_socket_t,
    NGX_AGAIN, NGX_ERROR, NGX_OK,
};

use crate::nginx::{self, Line};
use crate::wire::{self, set_errno, Received, Sent};
use crate::UPSTREAM_NEXT;

/// Sends `size` bytes of `*ch` over the channel socket `s`, with `ch->fd`
/// as SCM_RIGHTS ancillary data unless it is -1 (CONTRACT W1-W6).
///
/// Returns `NGX_OK` once `sendmsg()` accepted the message (a short write is
/// not detected, as in nginx), `NGX_AGAIN` on `EAGAIN`, else `NGX_ERROR`
/// after logging ALERT `sendmsg() failed` with errno.  Never raises SIGPIPE.
///
/// # Safety
/// `ch` is NULL or readable for `size` bytes; `log` is NULL or a valid
/// `ngx_log_t`.  A NULL `ch` returns `NGX_ERROR` with errno `EINVAL`.
#[no_mangle]
pub unsafe extern "C" fn ngx_write_channel(
    s: ngx_socket_t,
    ch: *mut ngx_channel_t,
    size: usize,
    log: *mut ngx_log_t,
) -> ngx_int_t {
    if ch.is_null() {
        // SAFETY: log is NULL or valid (this function's contract).
        return unsafe { null_argument(log, c"ngx_write_channel() called with NULL ch") };
    }
    // SAFETY: ch is readable for size bytes (this function's contract).
    match unsafe { wire::send(s, ch.cast(), size, (*ch).fd) } {
        Sent::Done(_) => NGX_OK,
        Sent::Again => NGX_AGAIN,
        Sent::Failed(err) => {
            // SAFETY: as above.
            unsafe { nginx::alert(log, err, Line::SendmsgFailed) };
            NGX_ERROR
        }
    }
}

/// Receives one message of at most `size` bytes into `*ch` from the channel
/// socket `s` (CONTRACT R1-R10).
///
/// Returns the number of bytes received (32 for a whole message), or
/// `NGX_AGAIN` on `EAGAIN`, or `NGX_ERROR` after nginx's log line for the
/// reason.  For `NGX_CMD_OPEN_CHANNEL` the received descriptor is stored in
/// `ch->fd`; a descriptor that arrives with any other command, or with a
/// message that is rejected, is closed.  Received descriptors are
/// close-on-exec.
///
/// # Safety
/// `ch` is NULL or writable for `size` bytes; `log` is NULL or a valid
/// `ngx_log_t`.  A NULL `ch` returns `NGX_ERROR` with errno `EINVAL`.
#[no_mangle]
pub unsafe extern "C" fn ngx_read_channel(
    s: ngx_socket_t,
    ch: *mut ngx_channel_t,
    size: usize,
    log: *mut ngx_log_t,
) -> ngx_int_t {
    if ch.is_null() {
        // SAFETY: log is NULL or valid (this function's contract).
        return unsafe { null_argument(log, c"ngx_read_channel() called with NULL ch") };
    }
    // SAFETY: ch is writable for size bytes (this function's contract).
    let received = unsafe { wire::recv(s, ch.cast(), size) };
    // SAFETY: log is NULL or valid, ch writable for size bytes and holding
    // what was received (this function's contract).
    unsafe { read_result(received, ch, size, log) }
}

/// nginx's return value and log line for what `wire::recv` found: nginx
/// 1.28.3's, or with the `upstream-next` feature those of nginx's fd-table
/// fix (CONTRACT U1-U4).
///
/// # Safety
/// `log` is NULL or a valid `ngx_log_t`; `ch` is writable for `size` bytes
/// and holds the received message when one was received.
pub(crate) unsafe fn read_result(
    received: Received,
    ch: *mut ngx_channel_t,
    size: usize,
    log: *mut ngx_log_t,
) -> ngx_int_t {
    // SAFETY: log is NULL or valid, ch writable, by this function's contract.
    unsafe {
        match received {
            Received::Message { n, flags } => {
                truncation(log, flags);
                n
            }
            Received::Again => NGX_AGAIN,
            Received::Failed(err) if UPSTREAM_NEXT && fd_table_full(err) => {
                // U1: the message is skipped, the channel kept
                nginx::alert(log, err, Line::RecvmsgFailed);
                ch.cast::<u8>().write_bytes(0, size);
                set_errno(err);
                0
            }
            Received::Failed(err) => fail(log, err, Line::RecvmsgFailed),
            Received::Closed => {
                nginx::debug_core(log, Line::RecvmsgZero);
                NGX_ERROR
            }
            Received::Short(n) => fail(log, 0, Line::NotEnoughData(n)),
            Received::NoFd { n, flags } if UPSTREAM_NEXT => {
                // U2: OPEN_CHANNEL without its fd goes on, with fd -1
                nginx::alert(log, 0, Line::TooSmallAncillary);
                (*ch).fd = -1;
                truncation(log, flags);
                n
            }
            Received::NoFd { .. } => fail(log, 0, Line::TooSmallAncillary),
            Received::BadControl { level, kind, .. } => {
                fail(log, 0, Line::InvalidAncillary(level, kind))
            }
        }
    }
}

/// The errors with which BSD and Solaris fail `recvmsg()` when no fd slot
/// is free for SCM_RIGHTS (Linux delivers the message without the fd).
fn fd_table_full(err: i32) -> bool {
    err == libc::EMSGSIZE || err == libc::EMFILE
}

/// R9: ALERT "recvmsg() truncated data" for MSG_TRUNC or MSG_CTRUNC (with
/// the fd-table fix, U4: MSG_TRUNC only; a missing fd is reported by U2).
unsafe fn truncation(log: *mut ngx_log_t, flags: i32) {
    let reported = if UPSTREAM_NEXT {
        flags & libc::MSG_TRUNC != 0
    } else {
        flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0
    };
    if reported {
        // SAFETY: log is NULL or valid (caller's contract).
        unsafe { nginx::alert(log, 0, Line::Truncated) };
    }
}

/// Registers the channel `fd` in nginx's event loop: a connection from
/// `ngx_get_connection()`, `handler` on its read or write event, then the
/// event module's `add_conn` or `add` (CONTRACT A1-A4).
///
/// Returns `NGX_OK`, or `NGX_ERROR` when no connection is free, when the
/// event module fails (the connection is freed, the fd stays open), or,
/// in a process without nginx's event code, at once with errno `ENOSYS`
/// and a line on stderr (A5).
///
/// # Safety
/// `cycle` is NULL or nginx's valid, initialised cycle.  A NULL `cycle`
/// returns `NGX_ERROR` with errno `EINVAL`.
#[no_mangle]
pub unsafe extern "C" fn ngx_add_channel_event(
    cycle: *mut ngx_cycle_t,
    fd: ngx_fd_t,
    event: ngx_int_t,
    handler: ngx_event_handler_pt,
) -> ngx_int_t {
    if cycle.is_null() {
        set_errno(libc::EINVAL);
        return NGX_ERROR;
    }
    // SAFETY: cycle is valid (this function's contract).
    match unsafe { nginx::add_channel_event(cycle, fd, event, handler) } {
        Ok(()) => NGX_OK,
        Err(nginx::AddError::NoNginx) => {
            let msg = b"ngx_channel: ngx_add_channel_event() needs nginx's event \
                        module, which is not linked into this process\n";
            // SAFETY: msg is a valid byte string; a failed write is ignored.
            unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
            set_errno(libc::ENOSYS);
            NGX_ERROR
        }
        Err(_) => NGX_ERROR,
    }
}

/// Closes both descriptors of a channel, `fd[0]` then `fd[1]`, logging
/// ALERT `close() channel failed` with errno for each one that fails
/// (CONTRACT C1, C2).  The array is not modified.
///
/// # Safety
/// `fd` is NULL or points to two `ngx_fd_t`; `log` is NULL or a valid
/// `ngx_log_t`.  A NULL `fd` closes nothing.
#[no_mangle]
pub unsafe extern "C" fn ngx_close_channel(fd: *mut ngx_fd_t, log: *mut ngx_log_t) {
    if fd.is_null() {
        // SAFETY: log is NULL or valid (this function's contract).
        unsafe { null_argument(log, c"ngx_close_channel() called with NULL fd") };
        return;
    }
    for i in 0..2 {
        // SAFETY: fd points to two ngx_fd_t (this function's contract).
        let one = unsafe { fd.add(i).read() };
        if let Err(err) = wire::close(one) {
            // SAFETY: log is NULL or valid (this function's contract).
            unsafe { nginx::alert(log, err, Line::CloseFailed) };
        }
    }
}

/// Logs an ALERT and returns `NGX_ERROR` with errno `err` left set.
unsafe fn fail(log: *mut ngx_log_t, err: i32, line: Line) -> ngx_int_t {
    // SAFETY: log is NULL or valid (caller's contract).
    unsafe { nginx::alert(log, err, line) };
    NGX_ERROR
}

/// A NULL argument where nginx would crash (CONTRACT H5): `NGX_ERROR`,
/// errno `EINVAL`, and an ALERT when a log is given.
unsafe fn null_argument(log: *mut ngx_log_t, what: &'static core::ffi::CStr) -> ngx_int_t {
    // SAFETY: log is NULL or valid (caller's contract).
    unsafe { nginx::alert(log, libc::EINVAL, Line::NullArgument(what)) };
    set_errno(libc::EINVAL);
    NGX_ERROR
}
