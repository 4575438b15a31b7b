//! Unit tests over real socketpairs, through the C ABI, with test doubles
//! of nginx's symbols (`fake_nginx`) that record every call.  The contract
//! ids (`docs/CONTRACT.md`) are in the test names.

mod add_event;
mod channel;
mod close;
mod fake_nginx;
mod hostile_peer;
mod read;
#[cfg(feature = "upstream-next")]
mod upstream;
mod write;

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};

use crate::abi::ngx_channel_t;

/// A non-blocking, close-on-exec AF_UNIX pair, as nginx makes its channels.
pub(crate) fn pair(kind: SockType) -> (OwnedFd, OwnedFd) {
    socketpair(
        AddressFamily::Unix,
        kind,
        None,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
    )
    .expect("socketpair")
}

/// A stream channel pair.
pub(crate) fn channel() -> (OwnedFd, OwnedFd) {
    pair(SockType::Stream)
}

/// A message as nginx's callers build it: zeroed, then filled in.
pub(crate) fn msg(command: usize, fd: RawFd) -> ngx_channel_t {
    // SAFETY: ngx_channel_t is plain integers; zero padding on the wire.
    let mut ch: ngx_channel_t = unsafe { std::mem::zeroed() };
    ch.command = command;
    ch.pid = 4242;
    ch.slot = 7;
    ch.fd = fd;
    ch
}

/// The size of a message: 32 bytes on LP64, 16 on ILP32.
pub(crate) const SZ: usize = std::mem::size_of::<ngx_channel_t>();
/// What a read of a whole message returns.
pub(crate) const N: isize = SZ as isize;
/// The size of a pointer, an `ngx_int_t`.
pub(crate) const WORD: usize = std::mem::size_of::<usize>();

/// The bytes of a message, padding included.
pub(crate) fn bytes(ch: &ngx_channel_t) -> [u8; SZ] {
    // SAFETY: ngx_channel_t is SZ bytes of plain data (padding zeroed by msg).
    unsafe { std::mem::transmute_copy(ch) }
}

/// The open descriptors of this process.
pub(crate) fn open_fds() -> Vec<RawFd> {
    let mut v: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    v.sort();
    v
}

/// How many open descriptors of this process refer to the file that `fd`
/// refers to: a leak check that other tests running in parallel cannot
/// disturb, as each test uses files of its own.
pub(crate) fn copies_of(fd: RawFd) -> usize {
    let id = identity(fd);
    open_fds()
        .into_iter()
        .filter(|&f| nix::sys::stat::fstat(unsafe_borrow(f)).is_ok_and(|st| file_id(&st) == id))
        .count()
}

/// (st_dev, st_ino) of a descriptor, to tell which file a received fd is.
pub(crate) fn identity(fd: RawFd) -> (u64, u64) {
    file_id(&nix::sys::stat::fstat(unsafe_borrow(fd)).expect("fstat"))
}

#[allow(clippy::unnecessary_cast)] // st_dev and st_ino are narrower on some CPUs
fn file_id(st: &libc::stat) -> (u64, u64) {
    (st.st_dev as u64, st.st_ino as u64)
}

/// Borrows a raw fd for nix calls.
pub(crate) fn unsafe_borrow<'a>(fd: RawFd) -> std::os::fd::BorrowedFd<'a> {
    // SAFETY: callers only pass descriptors that stay open for the call.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}

/// Raw fd of an owned one.
pub(crate) fn raw(fd: &OwnedFd) -> RawFd {
    fd.as_raw_fd()
}

#[test]
fn control_buffer_is_cmsg_space_of_one_int() {
    // SAFETY: CMSG_* only compute sizes.
    unsafe {
        assert_eq!(
            libc::CMSG_SPACE(4) as usize,
            std::mem::size_of::<crate::wire::Control>()
        );
        assert_eq!(libc::CMSG_LEN(4) as usize, crate::wire::CMSG_LEN_FD);
    }
}
