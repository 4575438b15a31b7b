//! The safe Rust API: its own behaviour, and interoperation with the C ABI
//! in both directions (the same wire format, the same rules).

use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd};

use nix::sys::socket::{sendmsg, setsockopt, sockopt, ControlMessage, MsgFlags};

use super::*;
use crate::abi::*;
use crate::channel::{pair, Channel, Command, Error, Message};
use crate::{ngx_read_channel, ngx_write_channel};

#[test]
fn commands_round_trip_through_wire_values() {
    for v in 0..10usize {
        assert_eq!(Command::from_value(v).value(), v);
    }
    assert_eq!(Command::Open.value(), NGX_CMD_OPEN_CHANNEL);
    assert_eq!(Command::from_value(12345), Command::Other(12345));
}

#[test]
fn api_to_api_every_command_and_an_fd() {
    let (a, b) = pair().expect("pair");
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    for cmd in [
        Command::Close,
        Command::Quit,
        Command::Terminate,
        Command::Reopen,
        Command::Other(77),
    ] {
        a.send(&Message::new(cmd, 10, 3), None).expect("send");
        let got = b.recv().expect("recv");
        assert_eq!(got.message, Message::new(cmd, 10, 3));
        assert!(got.fd.is_none());
        assert_eq!(got.fd_field, -1);
    }
    a.send(&Message::new(Command::Open, 11, 4), Some(r.as_fd()))
        .expect("send");
    let got = b.recv().expect("recv");
    let fd = got.fd.expect("fd");
    assert_eq!(identity(fd.as_raw_fd()), identity(raw(&r)));
}

#[test]
fn api_sends_what_ngx_read_channel_reads() {
    let (a, b) = pair().expect("pair");
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    a.send(&Message::new(Command::Open, 99, 2), Some(r.as_fd()))
        .expect("send");
    let mut ch = msg(0, -1);
    // SAFETY: ch is a whole message; NULL log.
    let rc = unsafe { ngx_read_channel(b.as_raw_fd(), &mut ch, SZ, std::ptr::null_mut()) };
    assert_eq!(rc, N);
    assert_eq!((ch.command, ch.pid, ch.slot), (NGX_CMD_OPEN_CHANNEL, 99, 2));
    assert_eq!(identity(ch.fd), identity(raw(&r)));
    // SAFETY: the received fd is ours.
    unsafe { libc::close(ch.fd) };
}

#[test]
fn api_bytes_equal_ngx_write_channel_bytes() {
    // The same message from both sides arrives as the same 32 bytes.
    let (a, b) = channel();
    let api = Channel::from_fd(a);
    api.send(&Message::new(Command::Reopen, 5, 6), None)
        .expect("send");
    let mut via_api = [0u8; 64];
    let n = nix::unistd::read(&b, &mut via_api).expect("read");
    assert_eq!(n, SZ);
    let mut ch = msg(NGX_CMD_REOPEN, -1);
    ch.pid = 5;
    ch.slot = 6;
    // SAFETY: ch is a whole message.
    let rc = unsafe { ngx_write_channel(api.as_raw_fd(), &mut ch, SZ, std::ptr::null_mut()) };
    assert_eq!(rc, NGX_OK);
    let mut via_c = [0u8; 64];
    assert_eq!(nix::unistd::read(&b, &mut via_c).expect("read"), SZ);
    assert_eq!(via_api[..SZ], via_c[..SZ]);
}

#[test]
fn ngx_write_channel_to_api_recv() {
    let (a, b) = channel();
    let api = Channel::from_fd(b);
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let mut ch = msg(NGX_CMD_OPEN_CHANNEL, raw(&r));
    // SAFETY: ch is a whole message.
    let rc = unsafe { ngx_write_channel(raw(&a), &mut ch, SZ, std::ptr::null_mut()) };
    assert_eq!(rc, NGX_OK);
    let got = api.recv().expect("recv");
    assert_eq!(got.message, Message::new(Command::Open, 4242, 7));
    assert_eq!(identity(got.fd.expect("fd").as_raw_fd()), identity(raw(&r)));
}

#[test]
fn errors_are_typed() {
    let (a, b) = pair().expect("pair");
    assert!(matches!(b.recv(), Err(Error::WouldBlock)));

    // a short message
    nix::unistd::write(&a, &[1u8; 8]).expect("write");
    assert!(matches!(b.recv(), Err(Error::Short(8))));

    // OPEN without its fd
    let mut ch = msg(NGX_CMD_OPEN_CHANNEL, 3);
    nix::unistd::write(&a, &bytes(&ch)).expect("write");
    assert!(matches!(b.recv(), Err(Error::MissingFd)));

    // OPEN with credentials instead of an fd
    setsockopt(&b, sockopt::PassCred, &true).expect("SO_PASSCRED");
    ch.fd = -1;
    nix::unistd::write(&a, &bytes(&ch)).expect("write");
    match b.recv() {
        Err(Error::BadControl { level, kind }) => {
            assert_eq!((level, kind), (libc::SOL_SOCKET, libc::SCM_CREDENTIALS))
        }
        other => panic!("{other:?}"),
    }

    drop(a);
    assert!(matches!(b.recv(), Err(Error::Closed)));
    let e = Error::Io(std::io::Error::from_raw_os_error(libc::EBADF));
    assert!(e.to_string().contains("Bad file descriptor"));
}

#[test]
fn an_fd_with_another_command_is_closed_not_handed_out() {
    let (a, b) = pair().expect("pair");
    let (r, _w) = nix::unistd::pipe().expect("pipe");
    let before = copies_of(raw(&r));
    let ch = msg(NGX_CMD_QUIT, 55);
    let data = bytes(&ch);
    let iov = [IoSlice::new(&data)];
    let fds = [raw(&r)];
    sendmsg::<()>(
        a.as_raw_fd(),
        &iov,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .expect("send");
    let got = b.recv().expect("recv");
    assert_eq!(got.message.command, Command::Quit);
    assert!(got.fd.is_none());
    assert_eq!(got.fd_field, 55, "only a number");
    assert_eq!(copies_of(raw(&r)), before);
}

#[test]
fn blocking_variants_wait_for_the_peer() {
    let (a, b) = pair().expect("pair");
    let t = std::thread::spawn(move || b.recv_blocking().map(|r| r.message.command));
    std::thread::sleep(std::time::Duration::from_millis(20));
    a.send_blocking(&Message::new(Command::Terminate, 1, 1), None)
        .expect("send");
    assert_eq!(t.join().expect("join").expect("recv"), Command::Terminate);
}

#[test]
fn send_to_a_closed_peer_is_an_io_error() {
    let (a, b) = pair().expect("pair");
    drop(b);
    match a.send(&Message::new(Command::Quit, 1, 1), None) {
        Err(Error::Io(e)) => assert_eq!(e.raw_os_error(), Some(libc::EPIPE)),
        other => panic!("{other:?}"),
    }
}
