//! Where a log line goes in a process without nginx (a plain C program
//! that passed a log): one line on stderr, `ngx_channel: [alert] text
//! (errno: strerror)`, as close to nginx's own stderr lines as is useful.
//! Written by hand to keep core::fmt out of the lean C library.

use core::ffi::c_char;

use super::{Line, NGX_LOG_ALERT};
use crate::abi::{ngx_err_t, ngx_uint_t};

/// A line buffer that drops what does not fit.
struct Buf {
    bytes: [u8; 256],
    len: usize,
}

impl Buf {
    fn push(&mut self, s: &[u8]) {
        for &b in s {
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    fn push_int(&mut self, v: i64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut u = v.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (u % 10) as u8;
            u /= 10;
            if u == 0 {
                break;
            }
        }
        if v < 0 {
            self.push(b"-");
        }
        self.push(&digits[i..]);
    }
}

/// Writes `line` to stderr.
pub fn write_line(level: ngx_uint_t, err: ngx_err_t, line: Line) {
    let mut buf = Buf {
        bytes: [0; 256],
        len: 0,
    };
    buf.push(b"ngx_channel: [");
    buf.push(if level == NGX_LOG_ALERT {
        b"alert"
    } else {
        b"debug"
    });
    buf.push(b"] ");

    let args: [i64; 2] = match line {
        Line::NotEnoughData(n) => [n as i64, 0],
        Line::InvalidAncillary(l, t) => [l.into(), t.into()],
        _ => [0, 0],
    };
    let mut next = args.iter();
    let mut fmt = line.format().to_bytes().iter();
    while let Some(&b) = fmt.next() {
        if b == b'%' {
            fmt.next();
            buf.push_int(next.next().copied().unwrap_or(0));
        } else {
            buf.push(&[b]);
        }
    }

    if err != 0 {
        buf.push(b" (");
        buf.push_int(err.into());
        buf.push(b": ");
        let mut text = [0 as c_char; 128];
        // SAFETY: text is writable for its length; strerror_r NUL-terminates
        // what it writes and leaves the zeroed buffer a valid string if not.
        unsafe { libc::strerror_r(err, text.as_mut_ptr(), text.len() - 1) };
        for &c in text.iter().take_while(|&&c| c != 0) {
            buf.push(&[c as u8]);
        }
        buf.push(b")");
    }
    buf.push(b"\n");

    let out = buf.bytes.get(..buf.len).unwrap_or(&[]);
    // SAFETY: out is a valid byte slice; a failed write to stderr is
    // ignored, as there is nowhere else to report it.
    unsafe { libc::write(2, out.as_ptr().cast(), out.len()) };
}
