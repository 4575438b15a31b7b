//! ngx_close_channel: CONTRACT C1, C2, H5.
//!
//! Whether a descriptor was closed is seen from its peer (EOF), never by
//! its number: tests running in parallel reuse freed numbers at once.

use std::os::fd::IntoRawFd;

use super::fake_nginx::{take_log, FakeLog};
use super::*;
use crate::ngx_close_channel;
use crate::wire::errno;

/// Whether the peer of `fd` was closed: a read sees EOF.
fn peer_closed(fd: &OwnedFd) -> bool {
    let mut b = [0u8; 1];
    nix::unistd::read(fd, &mut b) == Ok(0)
}

#[test]
fn c1_closes_both_and_leaves_the_array() {
    let (a1, b1) = channel();
    let (a2, b2) = channel();
    let mut fds = [a1.into_raw_fd(), a2.into_raw_fd()];
    let copy = fds;
    let mut log = FakeLog::at(2);
    // SAFETY: fds holds two descriptors we own.
    unsafe { ngx_close_channel(fds.as_mut_ptr(), log.ptr()) };
    assert_eq!(fds, copy, "the array is not modified");
    assert!(peer_closed(&b1) && peer_closed(&b2));
    assert!(take_log().is_empty());
}

#[test]
fn c2_each_failure_is_logged_and_the_other_close_still_happens() {
    let (a, b) = channel();
    let mut fds = [987_654, a.into_raw_fd()];
    let mut log = FakeLog::at(2);
    // SAFETY: fds[1] is ours; fds[0] is not open.
    unsafe { ngx_close_channel(fds.as_mut_ptr(), log.ptr()) };
    assert!(peer_closed(&b), "the second close happened");
    let l = take_log();
    assert_eq!(l.len(), 1);
    assert_eq!((l[0].level, l[0].err), (2, libc::EBADF));
    assert_eq!(l[0].fmt, "close() channel failed");

    let mut both_bad = [987_654, 987_655];
    // SAFETY: neither is open.
    unsafe { ngx_close_channel(both_bad.as_mut_ptr(), log.ptr()) };
    assert_eq!(take_log().len(), 2);
    assert_eq!(errno(), libc::EBADF, "L3");
}

#[test]
fn h5_null_fd_closes_nothing() {
    let mut log = FakeLog::at(2);
    // SAFETY: NULL is the case under test.
    unsafe { ngx_close_channel(std::ptr::null_mut(), log.ptr()) };
    let l = take_log();
    assert_eq!(l.len(), 1);
    assert!(l[0].fmt.contains("NULL"));
    // SAFETY: as above, NULL log.
    unsafe { ngx_close_channel(std::ptr::null_mut(), std::ptr::null_mut()) };
    assert!(take_log().is_empty());
}
