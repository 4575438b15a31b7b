//! ngx_write_channel: CONTRACT W1-W6, H4, H5, L1, L3.

use std::io::IoSliceMut;
use std::os::fd::AsRawFd;

use nix::cmsg_space;
use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};

use super::fake_nginx::{take_log, FakeLog};
use super::*;
use crate::abi::*;
use crate::wire::errno;
use crate::{ngx_read_channel, ngx_write_channel};

const ALL: usize = 0x7fff_fff0; // error_log ... debug

/// Receives whatever arrived, raw: bytes, the fds of SCM_RIGHTS, the
/// number of control messages and the raw control length.
fn peer_recv(fd: &OwnedFd) -> (Vec<u8>, Vec<RawFd>, usize) {
    let mut buf = [0u8; 256];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut space = cmsg_space!([RawFd; 4]);
    let m = recvmsg::<()>(
        fd.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::empty(),
    )
    .expect("recvmsg");
    let mut fds = Vec::new();
    let mut count = 0;
    for c in m.cmsgs().expect("cmsgs") {
        count += 1;
        if let ControlMessageOwned::ScmRights(v) = c {
            fds.extend(v);
        }
    }
    let n = m.bytes;
    (buf[..n].to_vec(), fds, count)
}

#[test]
fn w1_w4_no_fd_sends_the_bytes_without_control_data() {
    let (a, b) = channel();
    let mut log = FakeLog::at(ALL);
    let mut ch = msg(NGX_CMD_QUIT, -1);
    let before = bytes(&ch);
    // SAFETY: ch is a valid message, log a valid fake log.
    let rc = unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, log.ptr()) };
    assert_eq!(rc, NGX_OK);
    assert_eq!(bytes(&ch), before, "W3: *ch is never modified");
    let (got, fds, cmsgs) = peer_recv(&b);
    assert_eq!(got, before.to_vec());
    assert!(fds.is_empty());
    assert_eq!(cmsgs, 0, "W1: no control data");
    assert!(take_log().is_empty());
}

#[test]
fn w2_fd_travels_as_one_scm_rights_header() {
    let (a, b) = channel();
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let mut ch = msg(NGX_CMD_OPEN_CHANNEL, raw(&r));
    // SAFETY: as above; NULL log.
    let rc = unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, std::ptr::null_mut()) };
    assert_eq!(rc, NGX_OK);
    let (got, fds, cmsgs) = peer_recv(&b);
    assert_eq!(got, bytes(&ch).to_vec());
    assert_eq!(cmsgs, 1);
    assert_eq!(fds.len(), 1);
    assert_eq!(identity(fds[0]), identity(raw(&r)), "the same pipe arrived");
    // SAFETY: the received fd is ours to close.
    unsafe { libc::close(fds[0]) };
}

#[test]
#[allow(clippy::unnecessary_cast)] // the C types of the lengths differ between libcs
fn w2_control_bytes_are_nginx_s() {
    // Read the raw control buffer: a zeroed CMSG_SPACE(sizeof(int)) with
    // cmsg_len CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS, then the fd.
    let (a, b) = channel();
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let mut ch = msg(NGX_CMD_OPEN_CHANNEL, raw(&r));
    // SAFETY: as above.
    let rc = unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, std::ptr::null_mut()) };
    assert_eq!(rc, NGX_OK);
    let mut data = [0u8; 64];
    let mut control = [0u64; 8];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: plain C structures pointing at live buffers.
    let (n, controllen) = unsafe {
        let mut m: libc::msghdr = std::mem::zeroed();
        m.msg_iov = &mut iov;
        m.msg_iovlen = 1;
        m.msg_control = control.as_mut_ptr().cast();
        m.msg_controllen = 64;
        let n = libc::recvmsg(raw(&b), &mut m, 0);
        (n, m.msg_controllen)
    };
    assert_eq!(n, SZ as isize);
    // SAFETY: CMSG_* only compute sizes; control holds a cmsghdr and then
    // the fd, as the kernel wrote them.
    let (space, len, hdr, fd) = unsafe {
        let hdr: libc::cmsghdr = std::ptr::read(control.as_ptr().cast());
        let data = control
            .as_ptr()
            .cast::<u8>()
            .add(libc::CMSG_LEN(0) as usize);
        let fd: RawFd = std::ptr::read_unaligned(data.cast());
        (
            libc::CMSG_SPACE(4) as usize,
            libc::CMSG_LEN(4) as usize,
            hdr,
            fd,
        )
    };
    assert_eq!(controllen as usize, space, "CMSG_SPACE(sizeof(int))");
    assert_eq!(
        hdr.cmsg_len as usize, len,
        "cmsg_len = CMSG_LEN(sizeof(int))"
    );
    assert_eq!(
        (hdr.cmsg_level, hdr.cmsg_type),
        (libc::SOL_SOCKET, libc::SCM_RIGHTS)
    );
    assert_eq!(identity(fd), identity(raw(&r)));
    // SAFETY: the received fd is ours.
    unsafe { libc::close(fd) };
}

#[test]
fn w3_size_is_sent_verbatim() {
    let (a, b) = channel();
    let mut ch = msg(NGX_CMD_REOPEN, -1);
    for size in [1usize, SZ / 2, SZ - 1, SZ] {
        // SAFETY: ch is readable for size <= SZ bytes.
        let rc = unsafe { ngx_write_channel(raw(&a), &mut ch, size, std::ptr::null_mut()) };
        assert_eq!(rc, NGX_OK);
        let (got, _, _) = peer_recv(&b);
        assert_eq!(got, bytes(&ch)[..size].to_vec());
    }
    // A larger buffer than the struct: nginx sends what it is told.
    #[repr(C)]
    struct Big {
        ch: ngx_channel_t,
        extra: [u8; 8],
    }
    let mut big = Big {
        ch: msg(77, -1),
        extra: *b"trailing",
    };
    // SAFETY: big is readable for SZ + 8 bytes.
    let rc = unsafe { ngx_write_channel(raw(&a), &mut big.ch, SZ + 8, std::ptr::null_mut()) };
    assert_eq!(rc, NGX_OK);
    let (got, _, _) = peer_recv(&b);
    assert_eq!(got.len(), SZ + 8);
    assert_eq!(&got[SZ..], b"trailing");
}

#[test]
fn w5_full_socket_is_again_without_a_log_line() {
    let (a, _b) = channel();
    let mut log = FakeLog::at(ALL);
    let mut ch = msg(NGX_CMD_QUIT, -1);
    let mut rc = NGX_OK;
    for _ in 0..1_000_000 {
        // SAFETY: valid message and log.
        rc = unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, log.ptr()) };
        if rc != NGX_OK {
            break;
        }
    }
    assert_eq!(rc, NGX_AGAIN);
    assert_eq!(errno(), libc::EAGAIN, "L3");
    assert!(take_log().is_empty(), "W5 logs nothing");
}

#[test]
fn w6_ebadf_is_error_with_alert_and_errno() {
    let mut log = FakeLog::at(NGX_ALERT_LEVEL);
    let mut ch = msg(NGX_CMD_QUIT, -1);
    // SAFETY: valid message and log; fd 987654 is not open.
    let rc = unsafe { ngx_write_channel(987_654, &mut ch, SZ, log.ptr()) };
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(errno(), libc::EBADF, "L3: errno survives the log call");
    let log = take_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].level, 2);
    assert_eq!(log[0].err, libc::EBADF);
    assert_eq!(log[0].fmt, "sendmsg() failed");
}

#[test]
fn w6_fd_to_pass_that_is_not_open_is_ebadf() {
    let (a, _b) = channel();
    let mut log = FakeLog::at(NGX_ALERT_LEVEL);
    let mut ch = msg(NGX_CMD_OPEN_CHANNEL, 987_654);
    // SAFETY: valid message and log.
    let rc = unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, log.ptr()) };
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(errno(), libc::EBADF);
    assert_eq!(take_log()[0].fmt, "sendmsg() failed");
}

#[test]
fn l1_below_alert_level_logs_nothing() {
    let mut log = FakeLog::at(1); // NGX_LOG_EMERG
    let mut ch = msg(NGX_CMD_QUIT, -1);
    // SAFETY: valid message and log.
    let rc = unsafe { ngx_write_channel(-1, &mut ch, SZ, log.ptr()) };
    assert_eq!(rc, NGX_ERROR);
    assert!(take_log().is_empty());
    assert_eq!(errno(), libc::EBADF);
}

#[test]
fn h4_epipe_does_not_raise_sigpipe() {
    // In a child with SIGPIPE at its default action (the Rust test runtime
    // ignores it), write to a channel whose peer is gone.
    let (a, b) = channel();
    drop(b);
    // SAFETY: the child only makes async-signal-safe calls, then _exit().
    match unsafe { nix::unistd::fork() }.expect("fork") {
        nix::unistd::ForkResult::Child => {
            // SAFETY: as above.
            unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                let mut ch = msg(NGX_CMD_QUIT, -1);
                let rc = ngx_write_channel(raw(&a), &mut ch, SZ, std::ptr::null_mut());
                let ok = rc == NGX_ERROR && *libc::__errno_location() == libc::EPIPE;
                libc::_exit(if ok { 0 } else { 1 });
            }
        }
        nix::unistd::ForkResult::Parent { child } => {
            let st = nix::sys::wait::waitpid(child, None).expect("waitpid");
            assert_eq!(st, nix::sys::wait::WaitStatus::Exited(child, 0));
        }
    }
}

#[test]
fn h5_null_ch_is_error_einval_with_alert() {
    let mut log = FakeLog::at(NGX_ALERT_LEVEL);
    // SAFETY: NULL ch is the case under test.
    let rc = unsafe { ngx_write_channel(0, std::ptr::null_mut(), SZ, log.ptr()) };
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(errno(), libc::EINVAL);
    let l = take_log();
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].err, libc::EINVAL);
    assert!(l[0].fmt.contains("NULL"));
    // SAFETY: NULL ch and NULL log.
    let rc = unsafe { ngx_read_channel(0, std::ptr::null_mut(), SZ, std::ptr::null_mut()) };
    assert_eq!(rc, NGX_ERROR);
    assert!(take_log().is_empty(), "H5: a NULL log means no logging");
}

/// `log_level` of an `error_log ... alert` log.
const NGX_ALERT_LEVEL: usize = 2;
