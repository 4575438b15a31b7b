//! Where a log line goes in a process without nginx (a plain C program
//! that passed a log): one line on stderr, `ngx_channel: [alert] text
//! (errno: strerror)`, close to nginx's own stderr lines.  Formatted with
//! libc's snprintf, which the library links anyway, to keep formatting
//! code out of the lean C library; it is cold code, never run in nginx.

use core::ffi::c_char;

use super::{layout, Line};
use crate::abi::{ngx_err_t, ngx_uint_t};

/// Writes `line` to stderr, in one write().
#[cold]
#[inline(never)]
pub(super) fn write_line(level: ngx_uint_t, err: ngx_err_t, line: Line) {
    let mut text = [0 as c_char; 128];
    let mut out = [0 as c_char; 320];
    let tag = if level == layout::LOG_ALERT {
        c"alert"
    } else {
        c"debug"
    };
    // SAFETY: each snprintf writes at most the size it is given into its
    // own buffer; each format gets the arguments its conversions name;
    // strerror() returns a string that stays valid for this call.
    let n = unsafe {
        let (fmt, room) = (line.format().as_ptr(), text.len());
        match line {
            Line::NotEnoughData(n) => libc::snprintf(
                text.as_mut_ptr(),
                room,
                c"recvmsg() returned not enough data: %zd".as_ptr(),
                n,
            ),
            Line::InvalidAncillary(l, t) => libc::snprintf(text.as_mut_ptr(), room, fmt, l, t),
            _ => libc::snprintf(text.as_mut_ptr(), room, c"%s".as_ptr(), fmt),
        };
        if err != 0 {
            libc::snprintf(
                out.as_mut_ptr(),
                out.len(),
                c"ngx_channel: [%s] %s (%d: %s)\n".as_ptr(),
                tag.as_ptr(),
                text.as_ptr(),
                err,
                libc::strerror(err),
            )
        } else {
            libc::snprintf(
                out.as_mut_ptr(),
                out.len(),
                c"ngx_channel: [%s] %s\n".as_ptr(),
                tag.as_ptr(),
                text.as_ptr(),
            )
        }
    };
    let len = (n.max(0) as usize).min(out.len() - 1);
    // SAFETY: the first len bytes of out were written by snprintf; a failed
    // write to stderr is ignored, as there is nowhere else to report it.
    unsafe { libc::write(2, out.as_ptr().cast(), len) };
}
