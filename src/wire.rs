//! The wire: one channel message, its control buffer, one `sendmsg()` or
//! one `recvmsg()`, and nginx's order of checks on what arrived.
//!
//! This layer knows the message and the socket, nothing of nginx's
//! structures or logging: it says what happened, and the exports decide
//! what nginx would log and return for it.  The safe Rust API wraps it too.

use core::mem::{offset_of, size_of, zeroed, MaybeUninit};
use core::ptr;

use libc::{c_int, c_void, cmsghdr, iovec, msghdr};

use crate::abi::{ngx_channel_t, NGX_CMD_OPEN_CHANNEL};
use crate::read_path;

/// `CMSG_LEN(sizeof(int))`: the length of a header carrying one fd.
// SAFETY: CMSG_LEN only computes a size.
pub(crate) const CMSG_LEN_FD: usize = unsafe { libc::CMSG_LEN(size_of::<c_int>() as _) } as usize;

/// `CMSG_SPACE(sizeof(int))`: nginx's control buffer.
// SAFETY: CMSG_SPACE only computes a size.
const CMSG_SPACE_FD: usize = unsafe { libc::CMSG_SPACE(size_of::<c_int>() as _) } as usize;

/// The fds that fit after the header in nginx's buffer: two on LP64 (the
/// header is aligned to 8 bytes), one on ILP32.
const FDS: usize = (CMSG_SPACE_FD - size_of::<cmsghdr>()) / size_of::<c_int>();

/// nginx's control buffer, `CMSG_SPACE(sizeof(int))` bytes: one header and
/// room for `FDS` fds.
#[repr(C)]
pub(crate) struct Control {
    hdr: cmsghdr,
    fds: [c_int; FDS],
}

const _: () = assert!(size_of::<Control>() == CMSG_SPACE_FD);

impl Control {
    /// What nginx sends with an fd (CONTRACT W2): a zeroed buffer, one
    /// SOL_SOCKET/SCM_RIGHTS header of `CMSG_LEN(sizeof(int))`, the fd.
    fn with_fd(fd: c_int) -> Self {
        // SAFETY: cmsghdr and c_int are plain integers; all-zero is valid.
        let mut c: Control = unsafe { zeroed() };
        c.hdr.cmsg_len = CMSG_LEN_FD as _;
        c.hdr.cmsg_level = libc::SOL_SOCKET;
        c.hdr.cmsg_type = libc::SCM_RIGHTS;
        c.fds[0] = fd;
        c
    }
}

/// The control buffer after `recvmsg()`, read only as far as the kernel
/// wrote it: `got` is the `msg_controllen` it reported (CONTRACT H1:
/// nginx's C reads its header even when nothing arrived).
struct Arrived<'a> {
    buf: &'a MaybeUninit<Control>,
    got: usize,
}

impl Arrived<'_> {
    /// The header, if the kernel wrote one.
    fn header(&self) -> Option<&cmsghdr> {
        // SAFETY: the kernel wrote the first `got` bytes (see the type).
        (self.got >= size_of::<cmsghdr>()).then(|| unsafe { &(*self.buf.as_ptr()).hdr })
    }

    /// The header, if the kernel wrote it and the slot of one fd after it.
    fn header_for_fd(&self) -> Option<&cmsghdr> {
        // SAFETY: the kernel wrote the first `got` bytes (see the type).
        (self.got >= CMSG_LEN_FD).then(|| unsafe { &(*self.buf.as_ptr()).hdr })
    }

    /// The i-th fd of an SCM_RIGHTS header, if the kernel wrote it.
    fn fd(&self, i: usize) -> Option<c_int> {
        let h = self.header()?;
        let end = size_of::<cmsghdr>() + (i + 1) * size_of::<c_int>();
        let covered = end <= cmsg_len(h) && end <= self.got && i < FDS;
        let rights = h.cmsg_level == libc::SOL_SOCKET && h.cmsg_type == libc::SCM_RIGHTS;
        // SAFETY: the kernel wrote slot i: it lies below `got`.
        (covered && rights).then(|| unsafe { (*self.buf.as_ptr()).fds[i] })
    }

    /// Returns `outcome` after closing every fd that arrived: nobody else
    /// knows them (CONTRACT H2: nginx's C leaks them).
    fn discard(&self, outcome: Received) -> Received {
        if self.got != 0 {
            self.close_fds(0);
        }
        outcome
    }

    /// Closes the fds that arrived from the `from`-th on, keeping errno
    /// (CONTRACT L3).
    #[cold]
    #[inline(never)]
    fn close_fds(&self, from: usize) {
        let saved = errno();
        for fd in (from..FDS).filter_map(|i| self.fd(i)) {
            // SAFETY: recvmsg() installed fd in this process and nobody
            // else knows it.
            unsafe { libc::close(fd) };
        }
        set_errno(saved);
    }
}

/// A `msghdr` for one iovec and `controllen` bytes of control data: every
/// field the kernel reads is set; `msg_flags`, which `recvmsg()` only
/// writes and `sendmsg()` ignores, is left to the kernel.
fn message_header(iov: &mut iovec, control: *mut c_void, controllen: usize) -> MaybeUninit<msghdr> {
    // glibc's msghdr is its fields; other libcs add padding fields that
    // the kernel reads as part of them, zeroed here
    #[cfg(target_env = "gnu")]
    let mut msg = MaybeUninit::<msghdr>::uninit();
    #[cfg(not(target_env = "gnu"))]
    let mut msg = MaybeUninit::<msghdr>::zeroed();
    let m = msg.as_mut_ptr();
    // SAFETY: each write is to a field of the msghdr m points at.
    unsafe {
        ptr::addr_of_mut!((*m).msg_name).write(ptr::null_mut());
        ptr::addr_of_mut!((*m).msg_namelen).write(0);
        ptr::addr_of_mut!((*m).msg_iov).write(iov);
        ptr::addr_of_mut!((*m).msg_iovlen).write(1);
        ptr::addr_of_mut!((*m).msg_control).write(control);
        ptr::addr_of_mut!((*m).msg_controllen).write(controllen as _);
    }
    msg
}

/// The calling thread's errno.
pub(crate) fn errno() -> c_int {
    // SAFETY: __errno_location() returns the thread's own errno slot.
    unsafe { *libc::__errno_location() }
}

/// Sets the calling thread's errno.
pub(crate) fn set_errno(e: c_int) {
    // SAFETY: as in errno().
    unsafe { *libc::__errno_location() = e }
}

/// What one `sendmsg()` did (CONTRACT W4-W6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    /// It returned this many bytes (a short write is not detected, W4).
    Done(usize),
    /// `EAGAIN` (W5).
    Again,
    /// Any other errno (W6); errno is still set to it.
    Failed(c_int),
}

/// Sends `data` on `s` with one `sendmsg()`, passing `fd` as SCM_RIGHTS
/// unless it is -1 (CONTRACT W1-W3).  `MSG_NOSIGNAL` keeps a closed peer
/// from raising SIGPIPE (H4).  The bytes may be uninitialised (the padding
/// of an `ngx_channel_t` a caller did not zero): they only go to the kernel.
pub(crate) fn send(s: c_int, data: &[MaybeUninit<u8>], fd: c_int) -> Sent {
    let mut iov = iovec {
        iov_base: data.as_ptr().cast_mut().cast(),
        iov_len: data.len(),
    };
    let mut control = MaybeUninit::<Control>::uninit();
    let msg = if fd == -1 {
        message_header(&mut iov, ptr::null_mut(), 0)
    } else {
        let control = ptr::from_mut(control.write(Control::with_fd(fd)));
        message_header(&mut iov, control.cast(), size_of::<Control>())
    };
    // SAFETY: msg points at iov (data, readable for its length; the kernel
    // only reads it) and at control, both alive for the call.
    let n = unsafe { libc::sendmsg(s, msg.as_ptr(), libc::MSG_NOSIGNAL) };
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
pub(crate) enum Received {
    /// R1: `EAGAIN`.
    Again,
    /// R2: any other errno; errno is still set to it.
    Failed(c_int),
    /// R3: the peer closed the channel.
    Closed,
    /// R4: fewer bytes than an `ngx_channel_t`.
    Short(isize),
    /// R5: OPEN_CHANNEL without a whole fd header (H1: deterministic).
    NoFd {
        /// Bytes received.
        n: isize,
        /// `msg_flags` as the kernel set it (MSG_TRUNC, MSG_CTRUNC, ...).
        flags: c_int,
    },
    /// R6: OPEN_CHANNEL with a header of another level or type.
    BadControl {
        /// `cmsg_level` of the header that arrived.
        level: c_int,
        /// `cmsg_type` of the header that arrived.
        kind: c_int,
    },
    /// R7-R10: a message of `n` bytes; MSG_TRUNC and MSG_CTRUNC in `flags`
    /// tell truncation (R9).
    Message {
        /// Bytes received: what ngx_read_channel returns.
        n: isize,
        /// `msg_flags` as the kernel set it.
        flags: c_int,
    },
}

/// Receives one message of at most `data.len()` bytes into `data` with one
/// `recvmsg()` and runs nginx's checks in nginx's order.  For an accepted
/// OPEN_CHANNEL the received fd is stored in the message's `fd` field (R7);
/// every other fd that arrived is closed (H2); received fds are
/// close-on-exec (H3).  errno is left as `recvmsg()` set it.
pub(crate) fn recv(s: c_int, data: &mut [MaybeUninit<u8>]) -> Received {
    let mut iov = iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    let mut buf = MaybeUninit::<Control>::uninit();
    let mut msg = message_header(&mut iov, buf.as_mut_ptr().cast(), size_of::<Control>());
    // SAFETY: msg points at iov (data, writable for its length) and at buf,
    // both alive for the call.
    let n = unsafe { libc::recvmsg(s, msg.as_mut_ptr(), libc::MSG_CMSG_CLOEXEC) };
    if n == -1 {
        return match errno() {
            libc::EAGAIN => Received::Again,
            e => Received::Failed(e),
        };
    }
    // SAFETY: a successful recvmsg() wrote msg_controllen and msg_flags,
    // and at most iov_len bytes into data: telling the compiler so spares
    // the bounds checks of the message's fields below.
    let (got, flags) = unsafe {
        core::hint::assert_unchecked(n as usize <= data.len());
        (controllen(&*msg.as_ptr()), (*msg.as_ptr()).msg_flags)
    };
    let control = Arrived { buf: &buf, got };

    // nginx's checks, in nginx's order (R3-R7).  Only an accepted
    // OPEN_CHANNEL hands an fd over; every other one is closed (H2).
    if n == 0 {
        return control.discard(Received::Closed);
    }
    if (n as usize) < size_of::<ngx_channel_t>() {
        return control.discard(Received::Short(n));
    }
    if !is_open_channel(data) {
        return control.discard(Received::Message { n, flags });
    }
    // R5: no header long enough for an fd, as far as the kernel wrote it
    // (msg_controllen; H1: nothing else is read).  nginx 1.28 also trusts
    // the header's own length; nginx with the fd-table fix does not (U2).
    let Some(hdr) = control.header_for_fd() else {
        return Received::NoFd { n, flags };
    };
    if read_path::TRUSTS_CMSG_LEN && cmsg_len(hdr) < CMSG_LEN_FD {
        return Received::NoFd { n, flags };
    }
    // R6.  Neither R5 nor R6 has an fd to close: the buffer holds one
    // header, and it is not an SCM_RIGHTS one with an fd.
    if (hdr.cmsg_level, hdr.cmsg_type) != (libc::SOL_SOCKET, libc::SCM_RIGHTS) {
        return bad_control(hdr);
    }
    // R7: the fd goes into the message; any more are closed (H2)
    // SAFETY: header_for_fd() says the kernel wrote slot 0.
    let fd = unsafe { (*buf.as_ptr()).fds[0] };
    set_fd(data, fd);
    if cmsg_len(hdr) > CMSG_LEN_FD {
        control.close_fds(1);
    }
    Received::Message { n, flags }
}

/// Stores `fd` in the `fd` field of the message in `data`, which holds a
/// whole `ngx_channel_t` (a shorter `data` is left alone: no panic path).
pub(crate) fn set_fd(data: &mut [MaybeUninit<u8>], fd: c_int) {
    let at = offset_of!(ngx_channel_t, fd);
    if let Some(field) = data.get_mut(at..at + size_of::<c_int>()) {
        for (dst, b) in field.iter_mut().zip(fd.to_ne_bytes()) {
            dst.write(b);
        }
    }
}

/// R6, out of the common path.
#[cold]
#[inline(never)]
fn bad_control(hdr: &cmsghdr) -> Received {
    Received::BadControl {
        level: hdr.cmsg_level,
        kind: hdr.cmsg_type,
    }
}

/// Whether the message in `data` carries OPEN_CHANNEL.  Only called once
/// the kernel wrote a whole `ngx_channel_t` there.
fn is_open_channel(data: &[MaybeUninit<u8>]) -> bool {
    let Some(command) = data.first_chunk::<{ size_of::<usize>() }>() else {
        return false;
    };
    // SAFETY: the kernel wrote the whole message, whose first field is the
    // command.
    let command = command.map(|b| unsafe { b.assume_init() });
    usize::from_ne_bytes(command) == NGX_CMD_OPEN_CHANNEL
}

/// `msg_controllen` as a byte count (its C type differs between libcs).
#[allow(clippy::unnecessary_cast)]
fn controllen(msg: &msghdr) -> usize {
    msg.msg_controllen as usize
}

/// `cmsg_len` as a byte count (its C type differs between libcs).
#[allow(clippy::unnecessary_cast)]
fn cmsg_len(h: &cmsghdr) -> usize {
    h.cmsg_len as usize
}

/// Closes `fd`, returning the errno of a failure (CONTRACT C1, C2).
pub(crate) fn close(fd: c_int) -> Result<(), c_int> {
    // SAFETY: closing an integer descriptor has no memory effects; the
    // caller owns what it asks to close, as with close(2).
    if unsafe { libc::close(fd) } == -1 {
        Err(errno())
    } else {
        Ok(())
    }
}
