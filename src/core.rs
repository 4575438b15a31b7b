//! The channel itself: one `sendmsg()` or one `recvmsg()` of one message,
//! the control buffer for one fd, and nginx's order of checks.
//!
//! This layer knows the wire message and the socket, nothing of nginx's
//! structures or logging: it returns what happened, and the exports decide
//! what nginx would log and return for it.  It is testable on plain
//! socketpairs and is what the safe Rust API wraps.

use core::mem::{offset_of, size_of, zeroed};
use core::ptr;

use libc::{c_int, c_void, cmsghdr, iovec, msghdr};

use crate::abi::{ngx_channel_t, NGX_CMD_OPEN_CHANNEL};

/// `CMSG_LEN(sizeof(int))`: the length of a header carrying one fd.
pub const CMSG_LEN_FD: usize = size_of::<cmsghdr>() + size_of::<c_int>();

/// The control buffer of nginx's channel: `CMSG_SPACE(sizeof(int))` bytes,
/// one header and room for the data (two ints once aligned on LP64).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FdControl {
    hdr: cmsghdr,
    fds: [c_int; 2],
}

// CMSG_SPACE(sizeof(int)) on 64-bit Linux; checked against libc in tests.
const _: () = assert!(size_of::<FdControl>() == 24);
const _: () = assert!(size_of::<cmsghdr>() == 16);

impl FdControl {
    /// A zeroed buffer: what `recvmsg` reads into (CONTRACT H1).
    fn zeroed() -> Self {
        // SAFETY: cmsghdr and c_int are plain integers; all-zero is valid.
        unsafe { zeroed() }
    }

    /// The buffer nginx sends with one fd (CONTRACT W2): zeroed, one
    /// SOL_SOCKET/SCM_RIGHTS header of `CMSG_LEN(sizeof(int))`, the fd.
    fn with_fd(fd: c_int) -> Self {
        let mut c = Self::zeroed();
        c.hdr.cmsg_len = CMSG_LEN_FD as _;
        c.hdr.cmsg_level = libc::SOL_SOCKET;
        c.hdr.cmsg_type = libc::SCM_RIGHTS;
        c.fds[0] = fd;
        c
    }
}

/// The calling thread's errno.
#[inline]
pub fn errno() -> c_int {
    // SAFETY: __errno_location() returns the thread's own errno slot.
    unsafe { *libc::__errno_location() }
}

/// Sets the calling thread's errno.
#[inline]
pub fn set_errno(e: c_int) {
    // SAFETY: as in errno().
    unsafe { *libc::__errno_location() = e }
}

/// What one `sendmsg()` did (CONTRACT W4-W6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// It returned this many bytes (a short write is not detected, W4).
    Done(usize),
    /// `EAGAIN` (W5).
    Again,
    /// Any other errno (W6); errno is still set to it.
    Failed(c_int),
}

/// Sends `len` bytes at `data` on `s` with one `sendmsg()`, passing `fd`
/// as SCM_RIGHTS unless it is -1 (CONTRACT W1-W3).  `MSG_NOSIGNAL` keeps a
/// closed peer from raising SIGPIPE (H4).
///
/// # Safety
/// `data` must be readable for `len` bytes.
pub unsafe fn send(s: c_int, data: *const c_void, len: usize, fd: c_int) -> Sent {
    let mut control = FdControl::with_fd(fd);
    let mut iov = iovec {
        iov_base: data as *mut c_void,
        iov_len: len,
    };
    // SAFETY: msghdr is plain data; all-zero is its empty value.
    let mut msg: msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if fd != -1 {
        msg.msg_control = ptr::addr_of_mut!(control).cast();
        msg.msg_controllen = size_of::<FdControl>() as _;
    }
    // SAFETY: msg points at iov (valid for len bytes by the caller's
    // contract) and at control, both alive for the call.
    let n = unsafe { libc::sendmsg(s, &msg, libc::MSG_NOSIGNAL) };
    if n >= 0 {
        return Sent::Done(n as usize);
    }
    match errno() {
        libc::EAGAIN => Sent::Again,
        e => Sent::Failed(e),
    }
}

/// What one `recvmsg()` and nginx's checks found, in nginx's order
/// (CONTRACT R1-R10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// R1: `EAGAIN`.
    Again,
    /// R2: any other errno; errno is still set to it.
    Failed(c_int),
    /// R3: the peer closed the channel.
    Closed,
    /// R4: fewer bytes than an `ngx_channel_t`.
    Short(isize),
    /// R5: OPEN_CHANNEL without a whole fd header (H1: deterministic).
    NoFd,
    /// R6: OPEN_CHANNEL with a header of another level or type.
    BadControl {
        /// `cmsg_level` of the header that arrived.
        level: c_int,
        /// `cmsg_type` of the header that arrived.
        kind: c_int,
    },
    /// R7-R10: a message of `n` bytes; `truncated` when the kernel set
    /// MSG_TRUNC or MSG_CTRUNC (R9).
    Message {
        /// Bytes received: what ngx_read_channel returns.
        n: isize,
        /// MSG_TRUNC or MSG_CTRUNC was set.
        truncated: bool,
    },
}

/// Receives one message of at most `len` bytes into `data` with one
/// `recvmsg()`, and runs nginx's checks in nginx's order.  For
/// OPEN_CHANNEL with a good header the received fd is stored in the
/// message's `fd` field (R7); every other fd that arrived is closed (H2),
/// and received fds are close-on-exec (H3).  errno is left as `recvmsg()`
/// set it.
///
/// # Safety
/// `data` must be writable for `len` bytes.
pub unsafe fn recv(s: c_int, data: *mut c_void, len: usize) -> Received {
    let mut control = FdControl::zeroed();
    let mut iov = iovec {
        iov_base: data,
        iov_len: len,
    };
    // SAFETY: msghdr is plain data; all-zero is its empty value.
    let mut msg: msghdr = unsafe { zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ptr::addr_of_mut!(control).cast();
    msg.msg_controllen = size_of::<FdControl>() as _;

    // SAFETY: msg points at iov (writable for len bytes by the caller's
    // contract) and at control, both alive for the call.
    let n = unsafe { libc::recvmsg(s, &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if n == -1 {
        return match errno() {
            libc::EAGAIN => Received::Again,
            e => Received::Failed(e),
        };
    }

    // H1: only what the kernel wrote (msg_controllen) is looked at; the
    // rest of the zeroed buffer reads as an empty header.
    let got = (msg.msg_controllen as usize).min(size_of::<FdControl>());
    if got < size_of::<cmsghdr>() {
        control = FdControl::zeroed();
    }
    let fds = received_fds(&control, got);

    let outcome = check(data, n, &control);
    let handed = match outcome {
        Received::Message { .. } if is_open_channel(data) => {
            let fd = control.fds[0];
            // SAFETY: n >= size_of::<ngx_channel_t>() bytes were written at
            // data, so the fd field lies inside what the caller handed us.
            unsafe {
                ptr::write_unaligned(data.byte_add(offset_of!(ngx_channel_t, fd)).cast(), fd)
            };
            Some(fd)
        }
        _ => None,
    };
    close_unhanded(&fds, handed);

    match outcome {
        Received::Message { n, .. } => Received::Message {
            n,
            truncated: msg.msg_flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0,
        },
        other => other,
    }
}

/// nginx's checks after a `recvmsg()` that did not fail (R3-R6), without
/// the truncation flag, which the caller adds.
fn check(data: *const c_void, n: isize, control: &FdControl) -> Received {
    if n == 0 {
        return Received::Closed;
    }
    if (n as usize) < size_of::<ngx_channel_t>() {
        return Received::Short(n);
    }
    if is_open_channel(data) {
        if cmsg_len(&control.hdr) < CMSG_LEN_FD {
            return Received::NoFd;
        }
        if control.hdr.cmsg_level != libc::SOL_SOCKET || control.hdr.cmsg_type != libc::SCM_RIGHTS {
            return Received::BadControl {
                level: control.hdr.cmsg_level,
                kind: control.hdr.cmsg_type,
            };
        }
    }
    Received::Message {
        n,
        truncated: false,
    }
}

/// Whether the message at `data` (at least a whole `ngx_channel_t`, as
/// checked before every call) carries OPEN_CHANNEL.
fn is_open_channel(data: *const c_void) -> bool {
    // SAFETY: only called once n >= size_of::<ngx_channel_t>() bytes were
    // received into data; the command is its first field.
    let command: usize = unsafe { ptr::read_unaligned(data.cast()) };
    command == NGX_CMD_OPEN_CHANNEL
}

/// The fds the kernel installed in this process: those of an SCM_RIGHTS
/// header, as many as its length and the buffer hold (at most two).
fn received_fds(control: &FdControl, got: usize) -> [c_int; 2] {
    let mut fds = [-1; 2];
    let h = &control.hdr;
    if h.cmsg_level == libc::SOL_SOCKET && h.cmsg_type == libc::SCM_RIGHTS {
        let len = cmsg_len(h).min(got);
        let count = len.saturating_sub(size_of::<cmsghdr>()) / size_of::<c_int>();
        for (i, slot) in fds.iter_mut().enumerate().take(count) {
            *slot = control.fds[i];
        }
    }
    fds
}

/// Closes each received fd except the one handed to the caller, keeping
/// errno as it was (CONTRACT L3, H2).
fn close_unhanded(fds: &[c_int; 2], handed: Option<c_int>) {
    let saved = errno();
    let mut skip = handed;
    for &fd in fds {
        if fd < 0 {
            continue;
        }
        if skip == Some(fd) {
            skip = None;
            continue;
        }
        // SAFETY: fd was installed in this process by this recvmsg() and
        // nobody else knows it.
        unsafe { libc::close(fd) };
    }
    set_errno(saved);
}

/// `cmsg_len` as a byte count (its C type differs between libcs).
#[allow(clippy::unnecessary_cast)]
fn cmsg_len(h: &cmsghdr) -> usize {
    h.cmsg_len as usize
}

/// Closes `fd`, returning the errno of a failure (CONTRACT C1, C2).
pub fn close(fd: c_int) -> Result<(), c_int> {
    // SAFETY: closing an integer descriptor has no memory effects; the
    // caller owns what it asks to close, as with close(2).
    if unsafe { libc::close(fd) } == -1 {
        Err(errno())
    } else {
        Ok(())
    }
}
