//! The channel itself: one `sendmsg()` or one `recvmsg()` of one message,
//! the control buffer for one fd, and nginx's order of checks.
//!
//! This layer knows the wire message and the socket, nothing of nginx's
//! structures or logging: it returns what happened, and the exports decide
//! what nginx would log and return for it.  It is testable on plain
//! socketpairs and is what the safe Rust API wraps.

use core::mem::{offset_of, size_of, zeroed, MaybeUninit};
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

/// The receive side of the same buffer: the header is zeroed before
/// `recvmsg()`, so that a header the kernel did not write reads as empty
/// (CONTRACT H1: nginx's C reads it uninitialised); the fd slots are read
/// only as far as the header the kernel wrote says they were filled.
#[repr(C)]
pub struct RecvControl {
    hdr: cmsghdr,
    fds: MaybeUninit<[c_int; 2]>,
}

const _: () = assert!(size_of::<RecvControl>() == size_of::<FdControl>());

impl RecvControl {
    fn new() -> Self {
        RecvControl {
            // SAFETY: cmsghdr is plain integers; all-zero is valid.
            hdr: unsafe { zeroed() },
            fds: MaybeUninit::uninit(),
        }
    }

    /// Whether the kernel wrote one SOL_SOCKET/SCM_RIGHTS header carrying
    /// exactly one fd.  As the header was zeroed before `recvmsg()`, a
    /// header that reads so was written by the kernel, with its fd.
    fn is_one_fd(&self) -> bool {
        // level and type are compared as one word: one load, one compare
        let pair = |level: c_int, kind: c_int| (level as u32 as u64) | ((kind as u32 as u64) << 32);
        cmsg_len(&self.hdr) == CMSG_LEN_FD
            && pair(self.hdr.cmsg_level, self.hdr.cmsg_type)
                == pair(libc::SOL_SOCKET, libc::SCM_RIGHTS)
    }

    /// The i-th fd slot.
    ///
    /// # Safety
    /// The kernel filled it: the header it wrote covers slot i.
    unsafe fn fd(&self, i: usize) -> c_int {
        // SAFETY: i < 2 (callers count at most two slots), and the caller
        // guarantees the kernel wrote it.
        unsafe { self.fds.as_ptr().cast::<c_int>().add(i).read() }
    }
}

impl FdControl {
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

/// A `msghdr` for one iovec and optional control data, every field set.
#[cfg(target_env = "gnu")]
fn message_header(iov: &mut iovec, control: *mut c_void, controllen: usize) -> msghdr {
    msghdr {
        msg_name: ptr::null_mut(),
        msg_namelen: 0,
        msg_iov: iov,
        msg_iovlen: 1,
        msg_control: control,
        msg_controllen: controllen as _,
        msg_flags: 0,
    }
}

/// A `msghdr` for one iovec and optional control data (libcs whose
/// msghdr has private padding fields: zeroed, then set).
#[cfg(not(target_env = "gnu"))]
fn message_header(iov: &mut iovec, control: *mut c_void, controllen: usize) -> msghdr {
    // SAFETY: msghdr is plain data; all-zero is its empty value.
    let mut msg: msghdr = unsafe { zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = controllen as _;
    msg
}

/// `recvmsg()`'s header: every field the kernel reads is set, and
/// `msg_flags`, which it only writes, is left to it.
#[cfg(target_env = "gnu")]
fn recv_header(iov: &mut iovec, control: *mut c_void, controllen: usize) -> MaybeUninit<msghdr> {
    let mut msg = MaybeUninit::<msghdr>::uninit();
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

/// `recvmsg()`'s header, on libcs whose msghdr has padding fields the
/// kernel reads as part of its own: all of it set.
#[cfg(not(target_env = "gnu"))]
fn recv_header(iov: &mut iovec, control: *mut c_void, controllen: usize) -> MaybeUninit<msghdr> {
    MaybeUninit::new(message_header(iov, control, controllen))
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
    let mut control = MaybeUninit::<FdControl>::uninit();
    let mut iov = iovec {
        iov_base: data as *mut c_void,
        iov_len: len,
    };
    let msg = if fd == -1 {
        message_header(&mut iov, ptr::null_mut(), 0)
    } else {
        let control: *mut FdControl = control.write(FdControl::with_fd(fd));
        message_header(&mut iov, control.cast(), size_of::<FdControl>())
    };
    // SAFETY: msg points at iov (valid for len bytes by the caller's
    // contract) and at control, both alive for the call.
    let n = unsafe { libc::sendmsg(s, &msg, libc::MSG_NOSIGNAL) };
    if n >= 0 {
        return Sent::Done(n as usize);
    }
    send_failed()
}

/// `EAGAIN` or the errno of a failed `sendmsg()`.
#[cold]
fn send_failed() -> Sent {
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
        /// Bytes received.
        n: isize,
        /// `msg_flags` as the kernel set it.
        flags: c_int,
    },
    /// R7-R10: a message of `n` bytes; `flags` is `msg_flags`, whose
    /// MSG_TRUNC and MSG_CTRUNC tell truncation (R9).
    Message {
        /// Bytes received: what ngx_read_channel returns.
        n: isize,
        /// `msg_flags` as the kernel set it.
        flags: c_int,
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
    // SAFETY: the caller's contract is recv_with()'s.
    unsafe {
        recv_with(
            s,
            data,
            len,
            |n, flags| Received::Message { n, flags },
            |r| r,
        )
    }
}

/// [`recv`], with the outcome handed to `message` for a received message
/// (its byte count and `msg_flags`, where MSG_TRUNC and MSG_CTRUNC tell
/// truncation) and to `other` for every other outcome.  The common path then never builds a [`Received`]: the
/// exports return straight from it, as nginx's C does.
///
/// # Safety
/// `data` must be writable for `len` bytes.
#[inline(always)]
pub unsafe fn recv_with<R>(
    s: c_int,
    data: *mut c_void,
    len: usize,
    message: impl FnOnce(isize, c_int) -> R,
    other: impl FnOnce(Received) -> R,
) -> R {
    let mut control = RecvControl::new();
    let mut iov = iovec {
        iov_base: data,
        iov_len: len,
    };
    let control_ptr = ptr::addr_of_mut!(control).cast();
    let mut msg = recv_header(&mut iov, control_ptr, size_of::<RecvControl>());

    // SAFETY: msg points at iov (writable for len bytes by the caller's
    // contract) and at control, both alive for the call; every field the
    // kernel reads is set.
    let n = unsafe { libc::recvmsg(s, msg.as_mut_ptr(), libc::MSG_CMSG_CLOEXEC) };
    if n == -1 {
        return other(failed());
    }
    // SAFETY: a successful recvmsg() wrote msg_flags and msg_controllen.
    let (flags, got) = unsafe {
        let m = msg.as_ptr();
        ((*m).msg_flags, (*m).msg_controllen as usize)
    };

    // The two common cases, checked first; their outcome is the one
    // nginx's order of checks gives them.
    if n as usize >= size_of::<ngx_channel_t>() {
        if !is_open_channel(data) {
            if got == 0 {
                // any other command, without control data (R8, R10)
                return message(n, flags);
            }
        } else if control.is_one_fd() {
            // OPEN_CHANNEL with exactly its one fd (R7, R10)
            // SAFETY: the kernel wrote the header covering slot 0.
            hand_over(data, unsafe { control.fd(0) });
            return message(n, flags);
        }
    }
    // H1: from here on only what the kernel wrote (msg_controllen) counts.
    match general(data, n, &control, got.min(size_of::<RecvControl>()), flags) {
        Received::Message { n, flags } => message(n, flags),
        outcome => other(outcome),
    }
}

/// Stores a received fd in the message's `fd` field (R7).
fn hand_over(data: *mut c_void, fd: c_int) {
    // SAFETY: only called once n >= size_of::<ngx_channel_t>() bytes were
    // written at data, so the fd field lies inside what the caller handed.
    unsafe { ptr::write_unaligned(data.byte_add(offset_of!(ngx_channel_t, fd)).cast(), fd) };
}

/// Every other outcome of a `recvmsg()` that did not fail, in nginx's
/// order of checks: EOF, short messages, OPEN_CHANNEL without a good
/// header, control data with other commands, several fds, truncation.
/// The fd for OPEN_CHANNEL is handed over; every other fd is closed (H2).
#[cold]
#[inline(never)]
fn general(
    data: *mut c_void,
    n: isize,
    control: &RecvControl,
    got: usize,
    flags: c_int,
) -> Received {
    let hdr = (got >= size_of::<cmsghdr>()).then_some(&control.hdr);
    let fds = match hdr {
        Some(_) => received_fds(control, got),
        None => [-1; 2],
    };
    let outcome = check(data, n, hdr, flags);
    let mut handed = None;
    if let Received::Message { .. } = outcome {
        if is_open_channel(data) {
            // check() passed: an SCM_RIGHTS header of at least one fd, so
            // received_fds() read slot 0 from what the kernel wrote
            hand_over(data, fds[0]);
            handed = Some(fds[0]);
        }
    }
    // handed, when set, is fds[0]: anything else that arrived is closed
    if fds[1] >= 0 || (fds[0] >= 0 && handed.is_none()) {
        close_unhanded(&fds, handed);
    }
    outcome
}

/// `EAGAIN` or the errno of a failed call.
#[cold]
fn failed() -> Received {
    match errno() {
        libc::EAGAIN => Received::Again,
        e => Received::Failed(e),
    }
}

/// nginx's checks after a `recvmsg()` that did not fail (R3-R6), with the
/// control header the kernel wrote, if any (none reads as an empty one).
fn check(data: *const c_void, n: isize, hdr: Option<&cmsghdr>, flags: c_int) -> Received {
    if n == 0 {
        return Received::Closed;
    }
    if (n as usize) < size_of::<ngx_channel_t>() {
        return Received::Short(n);
    }
    if is_open_channel(data) {
        let Some(hdr) = hdr.filter(|h| cmsg_len(h) >= CMSG_LEN_FD) else {
            return Received::NoFd { n, flags };
        };
        if hdr.cmsg_level != libc::SOL_SOCKET || hdr.cmsg_type != libc::SCM_RIGHTS {
            return Received::BadControl {
                level: hdr.cmsg_level,
                kind: hdr.cmsg_type,
                n,
                flags,
            };
        }
    }
    Received::Message { n, flags }
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
fn received_fds(control: &RecvControl, got: usize) -> [c_int; 2] {
    let mut fds = [-1; 2];
    let h = &control.hdr;
    if h.cmsg_level == libc::SOL_SOCKET && h.cmsg_type == libc::SCM_RIGHTS {
        let len = cmsg_len(h).min(got);
        let count = len.saturating_sub(size_of::<cmsghdr>()) / size_of::<c_int>();
        for (i, slot) in fds.iter_mut().enumerate().take(count) {
            // SAFETY: slot i lies within both the header's length and what
            // the kernel reported writing (got).
            *slot = unsafe { control.fd(i) };
        }
    }
    fds
}

/// Closes each received fd except the one handed to the caller, keeping
/// errno as it was (CONTRACT L3, H2).
#[cold]
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
