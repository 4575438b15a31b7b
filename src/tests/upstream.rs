//! The `upstream-next` feature: the read path of nginx's fd-table fix (PR
//! 1662, docs/CONTRACT.md U1-U4).  Run by `make test-upstream-next`, with
//! every other unit test that holds on both read paths.

use std::io::IoSlice;
use std::os::fd::AsRawFd;

use nix::sys::socket::{sendmsg, setsockopt, sockopt, ControlMessage, MsgFlags, SockType};

use super::fake_nginx::{take_log, FakeLog};
use super::*;
use crate::abi::*;
use std::mem::MaybeUninit;

use crate::nginx::Log;
use crate::ngx_read_channel;
use crate::read_path::read_result;
use crate::wire::{errno, Received};

const ALL: usize = 0x7fff_fff0;

fn send(fd: &OwnedFd, data: &[u8], fds: &[RawFd]) {
    let iov = [IoSlice::new(data)];
    let c = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &c };
    sendmsg::<()>(fd.as_raw_fd(), &iov, cmsgs, MsgFlags::empty(), None).expect("send");
}

fn read(fd: &OwnedFd) -> (isize, ngx_channel_t, Vec<String>) {
    let mut log = FakeLog::at(ALL);
    let mut ch = msg(0, 1234);
    // SAFETY: ch is a whole message, log valid.
    let rc = unsafe { ngx_read_channel(fd.as_raw_fd(), &mut ch, SZ, log.ptr()) };
    (rc, ch, take_log().into_iter().map(|l| l.fmt).collect())
}

#[test]
fn u2_open_channel_without_fd_goes_on_with_fd_minus_one() {
    let (a, b) = channel();
    send(&a, &bytes(&msg(NGX_CMD_OPEN_CHANNEL, 9)), &[]);
    let (rc, ch, log) = read(&b);
    assert_eq!(rc, N);
    assert_eq!(ch.fd, -1);
    assert_eq!(log, vec!["recvmsg() returned too small ancillary data"]);
}

#[test]
fn u3_open_channel_with_credentials_first_is_still_an_error() {
    // SCM_CREDENTIALS fills the buffer: a header of another type (R6)
    let (a, b) = channel();
    setsockopt(&b, sockopt::PassCred, &true).expect("SO_PASSCRED");
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let before = copies_of(raw(&r));
    send(&a, &bytes(&msg(NGX_CMD_OPEN_CHANNEL, 9)), &[raw(&r)]);
    let (rc, _, log) = read(&b);
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(
        log,
        vec!["recvmsg() returned invalid ancillary data level %d or type %d"]
    );
    assert_eq!(copies_of(raw(&r)), before);
}

#[test]
fn u2_full_fd_table_open_channel_goes_on() {
    // In a child: RLIMIT_NOFILE is process-wide.
    let (a, b) = channel();
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    send(&a, &bytes(&msg(NGX_CMD_OPEN_CHANNEL, 9)), &[raw(&r)]);
    // SAFETY: the child only makes plain syscalls, then _exit().
    match unsafe { nix::unistd::fork() }.expect("fork") {
        nix::unistd::ForkResult::Child => {
            // SAFETY: as above.
            unsafe {
                // the lowest free descriptor becomes the limit: no slot left
                let lowest = libc::dup(b.as_raw_fd());
                libc::close(lowest);
                let mut lim: libc::rlimit = std::mem::zeroed();
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
                lim.rlim_cur = lowest as libc::rlim_t;
                if lowest < 0 || libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    libc::_exit(2);
                }
                let mut ch = msg(0, 1234);
                let rc = ngx_read_channel(b.as_raw_fd(), &mut ch, SZ, std::ptr::null_mut());
                libc::_exit(if rc == N && ch.fd == -1 { 0 } else { 1 });
            }
        }
        nix::unistd::ForkResult::Parent { child } => {
            let st = nix::sys::wait::waitpid(child, None).expect("waitpid");
            assert_eq!(st, nix::sys::wait::WaitStatus::Exited(child, 0));
        }
    }
}

#[test]
fn u1_emsgsize_and_emfile_skip_the_message() {
    for err in [libc::EMSGSIZE, libc::EMFILE] {
        let mut log = FakeLog::at(ALL);
        let mut buf = [MaybeUninit::new(0x11u8); 48];
        // SAFETY: log valid.
        let rc = read_result(Received::Failed(err), &mut buf[..40], unsafe {
            Log::new(log.ptr())
        });
        // SAFETY: every byte was initialised.
        let buf = buf.map(|b| unsafe { b.assume_init() });
        assert_eq!(rc, 0);
        assert_eq!(buf[..40], [0u8; 40], "size bytes of *ch zeroed");
        assert_eq!(buf[40..], [0x11u8; 8], "and no more");
        assert_eq!(errno(), err);
        let l = take_log();
        assert_eq!((l[0].err, l[0].fmt.as_str()), (err, "recvmsg() failed"));
    }
    // other errors are still errors
    let mut buf = [MaybeUninit::new(0u8); 32];
    // SAFETY: a NULL log.
    let rc = read_result(Received::Failed(libc::EBADF), &mut buf, unsafe {
        Log::new(std::ptr::null_mut())
    });
    assert_eq!(rc, NGX_ERROR);
}

#[test]
fn u2_truncation_is_reported_for_msg_trunc_only() {
    let (a, b) = pair(SockType::Datagram);
    send(&a, &[0u8; SZ + 16], &[]);
    let (rc, _, log) = read(&b);
    assert_eq!(rc, N);
    assert_eq!(log, vec!["recvmsg() truncated data"]);

    let (a, b) = channel();
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    send(
        &a,
        &bytes(&msg(NGX_CMD_OPEN_CHANNEL, -1)),
        &[raw(&r), raw(&r), raw(&r)],
    );
    let (rc, ch, log) = read(&b);
    assert_eq!(rc, N);
    assert!(log.is_empty(), "MSG_CTRUNC alone: {log:?}");
    // SAFETY: the handed fd is ours.
    unsafe { libc::close(ch.fd) };
}
