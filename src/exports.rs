//! The four functions of nginx's `ngx_channel.c`, at its C ABI.
//!
//! Each one turns nginx's raw pointers into safe values once, at its top
//! (a NULL pointer where nginx would crash fails there, H5), calls the wire
//! (or the nginx bridge for the event loop), and maps the outcome to
//! nginx's return value and log line (`read_path` for the reads).  The
//! crate root states the pointer contract they share.

use core::ffi::CStr;
use core::mem::MaybeUninit;
use core::slice;

use crate::abi::{
    ngx_channel_t, ngx_cycle_t, ngx_event_handler_pt, ngx_fd_t, ngx_int_t, ngx_log_t, ngx_socket_t,
    NGX_AGAIN, NGX_ERROR, NGX_OK,
};
use crate::nginx::{self, Line, Log};
use crate::read_path::read_result;
use crate::wire::{self, set_errno, Sent};

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
    // SAFETY: log is NULL or valid for this call (this function's contract).
    let log = unsafe { Log::new(log) };
    if ch.is_null() {
        return null_argument(log, c"ngx_write_channel() called with NULL ch");
    }
    // SAFETY: ch is readable for size bytes, an ngx_channel_t as nginx
    // passes it (this function's contract); its bytes may be uninitialised.
    let (bytes, fd) = unsafe {
        (
            slice::from_raw_parts(ch.cast::<MaybeUninit<u8>>(), size),
            (*ch).fd,
        )
    };
    match wire::send(s, bytes, fd) {
        Sent::Done(_) => NGX_OK,
        Sent::Again => NGX_AGAIN,
        Sent::Failed(err) => {
            log.alert(err, Line::SendmsgFailed);
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
    // SAFETY: log is NULL or valid for this call (this function's contract).
    let log = unsafe { Log::new(log) };
    if ch.is_null() {
        return null_argument(log, c"ngx_read_channel() called with NULL ch");
    }
    // SAFETY: ch is writable for size bytes, and nothing else uses them
    // during this call (this function's contract).
    let buf = unsafe { slice::from_raw_parts_mut(ch.cast::<MaybeUninit<u8>>(), size) };
    let received = wire::recv(s, buf);
    read_result(received, buf, log)
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
    // SAFETY: log is NULL or valid, fd NULL or two ngx_fd_t, for this call
    // (this function's contract).
    let (log, fds) = unsafe { (Log::new(log), fd.cast::<[ngx_fd_t; 2]>().as_ref()) };
    let Some(fds) = fds else {
        null_argument(log, c"ngx_close_channel() called with NULL fd");
        return;
    };
    for &one in fds {
        if let Err(err) = wire::close(one) {
            log.alert(err, Line::CloseFailed);
        }
    }
}

/// A NULL argument where nginx would crash (CONTRACT H5): `NGX_ERROR`,
/// errno `EINVAL`, and an ALERT when a log is given.
fn null_argument(log: Log, what: &'static CStr) -> ngx_int_t {
    log.alert(libc::EINVAL, Line::NullArgument(what));
    set_errno(libc::EINVAL);
    NGX_ERROR
}
