//! ngx_read_channel: CONTRACT R1-R10, H1-H3, H5, L2, L3.

use std::io::IoSlice;
use std::os::fd::AsRawFd;

use nix::sys::socket::{sendmsg, setsockopt, sockopt, ControlMessage, MsgFlags, SockType};

use super::fake_nginx::{take_log, FakeLog, LogCall};
use super::*;
use crate::abi::*;
use crate::nginx::{Line, Log, DEBUG};
use crate::wire::errno;
use crate::{ngx_read_channel, ngx_write_channel};

const ALL: usize = 0x7fff_fff0; // error_log ... debug

/// Sends raw bytes with the given fds as one SCM_RIGHTS message.
fn send_raw(fd: &OwnedFd, data: &[u8], fds: &[RawFd]) {
    let iov = [IoSlice::new(data)];
    let cmsg = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &cmsg };
    let n = sendmsg::<()>(fd.as_raw_fd(), &iov, cmsgs, MsgFlags::empty(), None).expect("send");
    assert_eq!(n, data.len());
}

/// Reads one message with a fresh log at `level`; returns the result, the
/// message, errno and the log lines.
fn read(fd: &OwnedFd, size: usize, level: usize) -> (isize, ngx_channel_t, i32, Vec<LogCall>) {
    let mut log = FakeLog::at(level);
    let mut ch = msg(0, -1);
    ch.pid = 0;
    ch.slot = 0;
    // SAFETY: ch is writable for size <= SZ bytes, log is valid.
    let rc = unsafe { ngx_read_channel(fd.as_raw_fd(), &mut ch, size, log.ptr()) };
    let e = errno();
    (rc, ch, e, take_log())
}

fn alert(fmt: &str) -> (usize, i32, String) {
    (2, 0, fmt.to_string())
}

fn lines(log: &[LogCall]) -> Vec<(usize, i32, String)> {
    log.iter()
        .map(|l| (l.level, l.err, l.fmt.clone()))
        .collect()
}

#[test]
fn r1_empty_socket_is_again_without_log() {
    let (_a, b) = channel();
    let (rc, _, e, log) = read(&b, SZ, ALL);
    assert_eq!(rc, NGX_AGAIN);
    assert_eq!(e, libc::EAGAIN);
    assert!(log.is_empty());
}

#[test]
fn r2_ebadf_is_error_with_alert_and_errno() {
    let mut log = FakeLog::at(2);
    let mut ch = msg(0, -1);
    // SAFETY: valid message and log.
    let rc = unsafe { ngx_read_channel(-1, &mut ch, SZ, log.ptr()) };
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(errno(), libc::EBADF, "L3");
    let l = take_log();
    assert_eq!(lines(&l), vec![(2, libc::EBADF, "recvmsg() failed".into())]);
}

#[test]
fn r3_peer_closed_is_error_and_debug_line_only_in_debug_builds() {
    let (a, b) = channel();
    drop(a);
    let (rc, _, _, log) = read(&b, SZ, ALL);
    assert_eq!(rc, NGX_ERROR);
    if DEBUG {
        assert_eq!(lines(&log), vec![(8, 0, "recvmsg() returned zero".into())]);
    } else {
        assert!(log.is_empty(), "L2: no debug line without NGX_DEBUG");
    }
}

#[test]
fn l2_debug_line_follows_the_switch_and_the_core_mask() {
    for (debug, level, expect) in [
        (true, ALL, true),
        (true, 0x10 | 2, true),
        (true, 8, false), // NGX_LOG_DEBUG without the core mask
        (false, ALL, false),
    ] {
        let mut log = FakeLog::at(level);
        // SAFETY: valid log.
        unsafe { Log::new(log.ptr()) }.debug_core_if(debug, Line::RecvmsgZero);
        let l = take_log();
        assert_eq!(!l.is_empty(), expect, "debug={debug} level={level:#x}");
        if expect {
            assert_eq!(lines(&l), vec![(8, 0, "recvmsg() returned zero".into())]);
        }
    }
}

#[test]
fn r4_short_message_is_error_with_count() {
    let (a, b) = channel();
    send_raw(&a, &[1u8; SZ / 2], &[]);
    let (rc, _, _, log) = read(&b, SZ, ALL);
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(
        lines(&log),
        vec![alert("recvmsg() returned not enough data: %z")]
    );
    assert_eq!(log[0].args[0], N / 2);
}

#[test]
fn r4_size_below_the_struct_is_short() {
    let (a, b) = channel();
    let mut ch = msg(NGX_CMD_QUIT, -1);
    // SAFETY: valid message.
    unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, std::ptr::null_mut()) };
    let (rc, got, _, log) = read(&b, SZ / 2, ALL);
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(log[0].args[0], N / 2);
    assert_eq!(got.command, NGX_CMD_QUIT, "*ch holds what arrived");
}

#[test]
fn r4_short_message_with_an_fd_closes_the_fd() {
    let (a, b) = channel();
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let before = copies_of(raw(&r));
    send_raw(&a, &[1u8; 8], &[raw(&r)]);
    let (rc, _, _, _) = read(&b, SZ, ALL);
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(copies_of(raw(&r)), before, "no fd leaked");
}

// nginx 1.28's read path; upstream-next's is tests::upstream::u2_*
#[cfg(not(feature = "upstream-next"))]
#[test]
fn r5_h1_open_channel_without_fd_is_too_small_ancillary() {
    let (a, b) = channel();
    let ch = msg(NGX_CMD_OPEN_CHANNEL, 5);
    send_raw(&a, &bytes(&ch), &[]);
    let (rc, got, _, log) = read(&b, SZ, ALL);
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(
        lines(&log),
        vec![alert("recvmsg() returned too small ancillary data")]
    );
    assert_eq!(got.fd, 5, "*ch holds the payload");
}

#[test]
fn r6_open_channel_with_credentials_is_invalid_ancillary() {
    // SO_PASSCRED makes the kernel attach SCM_CREDENTIALS, which does not
    // fit the one-fd buffer: the header arrives truncated, level 1 type 2.
    let (a, b) = channel();
    setsockopt(&b, sockopt::PassCred, &true).expect("SO_PASSCRED");
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let before = copies_of(raw(&r));
    let ch = msg(NGX_CMD_OPEN_CHANNEL, raw(&r));
    send_raw(&a, &bytes(&ch), &[raw(&r)]);
    let (rc, _, _, log) = read(&b, SZ, ALL);
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(
        lines(&log),
        vec![alert(
            "recvmsg() returned invalid ancillary data level %d or type %d"
        )]
    );
    assert_eq!(log[0].args[0] as i32, libc::SOL_SOCKET);
    assert_eq!(log[0].args[1] as i32, libc::SCM_CREDENTIALS);
    assert_eq!(copies_of(raw(&r)), before, "no fd leaked");
}

#[test]
fn r7_r10_h3_open_channel_hands_over_a_cloexec_fd() {
    let (a, b) = channel();
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let mut ch = msg(NGX_CMD_OPEN_CHANNEL, raw(&r));
    // SAFETY: valid message.
    let rc = unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, std::ptr::null_mut()) };
    assert_eq!(rc, NGX_OK);
    let (rc, got, _, log) = read(&b, SZ, ALL);
    assert_eq!(rc, N, "R10: returns n");
    assert!(log.is_empty());
    assert_eq!(got.command, NGX_CMD_OPEN_CHANNEL);
    assert_eq!((got.pid, got.slot), (4242, 7));
    assert_ne!(got.fd, raw(&r), "a new descriptor");
    assert_eq!(identity(got.fd), identity(raw(&r)));
    // SAFETY: F_GETFD only reads flags.
    let flags = unsafe { libc::fcntl(got.fd, libc::F_GETFD) };
    assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC, "H3");
    // SAFETY: the received fd is ours.
    unsafe { libc::close(got.fd) };
}

#[test]
fn r8_other_commands_keep_the_payload_fd() {
    let (a, b) = channel();
    for command in [
        NGX_CMD_CLOSE_CHANNEL,
        NGX_CMD_QUIT,
        NGX_CMD_TERMINATE,
        NGX_CMD_REOPEN,
        12345,
    ] {
        let mut ch = msg(command, -1);
        ch.fd = -1;
        // SAFETY: valid message.
        unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, std::ptr::null_mut()) };
        let (rc, got, _, log) = read(&b, SZ, ALL);
        assert_eq!(rc, N);
        assert_eq!(bytes(&got), bytes(&ch));
        assert!(log.is_empty());
    }
}

#[test]
fn r8_h2_fd_with_another_command_is_closed() {
    let (a, b) = channel();
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let before = copies_of(raw(&r));
    let ch = msg(NGX_CMD_QUIT, 99);
    send_raw(&a, &bytes(&ch), &[raw(&r)]);
    let (rc, got, _, log) = read(&b, SZ, ALL);
    assert_eq!(rc, N);
    assert_eq!(got.fd, 99, "R8: the payload's fd, untouched");
    assert!(log.is_empty());
    assert_eq!(
        copies_of(raw(&r)),
        before,
        "H2: the fd that arrived is closed"
    );
}

// nginx 1.28's read path; upstream-next's is tests::upstream::u2_*
#[cfg(not(feature = "upstream-next"))]
#[test]
fn r9_control_truncation_is_logged_and_still_succeeds() {
    // Three fds do not fit: the kernel installs two (the buffer holds two
    // ints once aligned) and sets MSG_CTRUNC; we keep the first, close the
    // second, and log as nginx does.
    let (a, b) = channel();
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let (w, _r2) = nix::unistd::pipe().expect("pipe"); // another file
    let (before_r, before_w) = (copies_of(raw(&r)), copies_of(raw(&w)));
    let ch = msg(NGX_CMD_OPEN_CHANNEL, -1);
    send_raw(&a, &bytes(&ch), &[raw(&r), raw(&w), raw(&r)]);
    let (rc, got, _, log) = read(&b, SZ, ALL);
    assert_eq!(rc, N);
    assert_eq!(lines(&log), vec![alert("recvmsg() truncated data")]);
    assert_eq!(identity(got.fd), identity(raw(&r)));
    assert_eq!(
        copies_of(raw(&r)),
        before_r + 1,
        "only the handed fd is new"
    );
    assert_eq!(copies_of(raw(&w)), before_w, "the second fd was closed");
    // SAFETY: ours.
    unsafe { libc::close(got.fd) };
}

#[test]
fn r9_data_truncation_on_a_datagram_channel() {
    let (a, b) = pair(SockType::Datagram);
    send_raw(&a, &[0u8; SZ + 16], &[]);
    let (rc, _, _, log) = read(&b, SZ, ALL);
    assert_eq!(rc, N);
    assert_eq!(lines(&log), vec![alert("recvmsg() truncated data")]);
}

#[test]
fn r10_returns_the_bytes_received_for_a_larger_size() {
    let (a, b) = channel();
    send_raw(&a, &[0u8; SZ + 8], &[]);
    #[repr(C)]
    struct Big {
        ch: ngx_channel_t,
        extra: [u8; 8],
    }
    let mut big = Big {
        ch: msg(0, -1),
        extra: [0; 8],
    };
    // SAFETY: big is writable for SZ + 8 bytes.
    let rc = unsafe { ngx_read_channel(raw(&b), &mut big.ch, SZ + 8, std::ptr::null_mut()) };
    assert_eq!(rc, N + 8);
}

#[test]
fn r2_l3_errno_survives_the_logger() {
    // The fake logger sets errno to EIO; the caller must still see EBADF.
    let mut log = FakeLog::at(ALL);
    let mut ch = msg(0, -1);
    // SAFETY: valid message and log.
    let rc = unsafe { ngx_read_channel(987_654, &mut ch, SZ, log.ptr()) };
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(errno(), libc::EBADF);
    assert_eq!(take_log().len(), 1);
}

#[test]
fn h5_null_log_reads_without_logging() {
    let (a, b) = channel();
    send_raw(&a, &[1u8; 4], &[]);
    let mut ch = msg(0, -1);
    // SAFETY: valid message, NULL log.
    let rc = unsafe { ngx_read_channel(raw(&b), &mut ch, SZ, std::ptr::null_mut()) };
    assert_eq!(rc, NGX_ERROR);
    assert!(take_log().is_empty());
}
