//! Where a log line goes in a process without nginx (a plain C program
//! that passed a log): one line on stderr, `ngx_channel: [alert] text
//! (errno: strerror)`, close to nginx's own stderr lines.  Formatted with
//! libc's snprintf, which the library links anyway, to keep formatting
//! code out of the lean C library; it is cold code, never run in nginx.

use core::ffi::{c_char, CStr};

use super::{Line, NGX_LOG_ALERT};
use crate::abi::{ngx_err_t, ngx_uint_t};

const CAP: usize = 320;

/// A line buffer that drops what does not fit.
struct Buf {
    bytes: [c_char; CAP],
    len: usize,
}

impl Buf {
    /// Where the next bytes go, and how many fit (with the NUL).
    fn tail(&mut self) -> (*mut c_char, usize) {
        let len = self.len.min(CAP - 1);
        // SAFETY: len < CAP, inside the array.
        (unsafe { self.bytes.as_mut_ptr().add(len) }, CAP - len)
    }

    /// Counts what snprintf or strerror_r wrote at tail().
    fn advance(&mut self, n: usize) {
        self.len = (self.len + n).min(CAP - 1);
    }

    fn push(&mut self, s: &CStr) {
        let (at, room) = self.tail();
        // SAFETY: snprintf writes at most room bytes at at.
        let n = unsafe { libc::snprintf(at, room, c"%s".as_ptr(), s.as_ptr()) };
        self.advance(n.max(0) as usize);
    }
}

/// Writes `line` to stderr.
#[cold]
#[inline(never)]
pub fn write_line(level: ngx_uint_t, err: ngx_err_t, line: Line) {
    let mut buf = Buf {
        bytes: [0; CAP],
        len: 0,
    };
    buf.push(if level == NGX_LOG_ALERT {
        c"ngx_channel: [alert] "
    } else {
        c"ngx_channel: [debug] "
    });

    let (at, room) = buf.tail();
    // SAFETY: snprintf writes at most room bytes at at; each format gets
    // the arguments its conversions name.
    let n = unsafe {
        match line {
            Line::NotEnoughData(n) => libc::snprintf(
                at,
                room,
                c"recvmsg() returned not enough data: %zd".as_ptr(),
                n,
            ),
            Line::InvalidAncillary(l, t) => libc::snprintf(at, room, line.format().as_ptr(), l, t),
            _ => libc::snprintf(at, room, c"%s".as_ptr(), line.format().as_ptr()),
        }
    };
    buf.advance(n.max(0) as usize);

    if err != 0 {
        let (at, room) = buf.tail();
        // SAFETY: as above.
        let n = unsafe { libc::snprintf(at, room, c" (%d: ".as_ptr(), err) };
        buf.advance(n.max(0) as usize);
        let (at, room) = buf.tail();
        // SAFETY: strerror_r writes a NUL-terminated string of at most room
        // bytes at at.
        if unsafe { libc::strerror_r(err, at, room) } == 0 {
            // SAFETY: strerror_r succeeded, so at holds a C string.
            let n = unsafe { CStr::from_ptr(at) }.to_bytes().len();
            buf.advance(n);
        }
        buf.push(c")");
    }
    buf.push(c"\n");

    // SAFETY: the first len bytes of bytes are initialised; a failed write
    // to stderr is ignored, as there is nowhere else to report it.
    unsafe { libc::write(2, buf.bytes.as_ptr().cast(), buf.len) };
}
