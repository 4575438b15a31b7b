// A hostile peer for ngx_read_channel, driven by bytes (a fuzzer's input,
// or proptest's): the socket type, the payload's length and bytes (with or
// without OPEN_CHANNEL), the control data (none, one to four fds,
// credentials ahead of them), and the size passed to the read.  One message
// goes over a real socketpair, then one ngx_read_channel() through the C
// ABI, and the outcome is checked against the contract:
//  - no crash, no fd leaked (every fd of this process is counted);
//  - the return value is one the contract allows for that input;
//  - a returned fd is open, close-on-exec, and the first fd that was sent.
// Included by the fuzz target (fuzz/fuzz_targets/read_channel.rs) and by
// the proptest in the crate's unit tests.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::sys::socket::{
    sendmsg, setsockopt, socketpair, sockopt, AddressFamily, ControlMessage, MsgFlags, SockFlag,
    SockType, UnixCredentials,
};

/// What the hostile peer does, decoded from bytes.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    pub kind: SockType,
    pub payload: Vec<u8>,
    pub open_channel: bool,
    pub fds: usize,
    pub passcred: bool,
    pub send_creds: bool,
    pub read_size: usize,
}

impl Scenario {
    /// Decodes a scenario; every input gives one.
    pub(crate) fn from_bytes(data: &[u8]) -> Scenario {
        let b = |i: usize| data.get(i).copied().unwrap_or(0);
        let kind = match b(0) % 3 {
            0 => SockType::Stream,
            1 => SockType::Datagram,
            _ => SockType::SeqPacket,
        };
        let len = usize::from(b(1)) % 65;
        let mut payload: Vec<u8> = data.iter().skip(6).copied().take(len).collect();
        payload.resize(len, 0);
        // mostly the real commands, sometimes raw bytes
        let command = b(2) % 8;
        let word = std::mem::size_of::<usize>();
        if command < 7 && len >= word {
            let value = if command == 6 {
                1
            } else {
                usize::from(command)
            };
            payload[..word].copy_from_slice(&value.to_ne_bytes());
        }
        let open_channel = len >= word && payload[..word] == 1usize.to_ne_bytes();
        let control = b(3);
        Scenario {
            kind,
            payload,
            open_channel,
            fds: usize::from(control % 5),
            passcred: control & 0x10 != 0,
            send_creds: control & 0x20 != 0,
            read_size: usize::from(b(4)) % 65,
        }
    }
}

/// How many descriptors of this process refer to each of `files`: a leak
/// check that threads opening and closing other files cannot disturb.
fn copies(files: &[Option<(u64, u64)>]) -> Vec<usize> {
    let open: Vec<Option<(u64, u64)>> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
                .map(identity)
                .collect()
        })
        .unwrap_or_default();
    files
        .iter()
        .map(|f| open.iter().filter(|&o| o == f && f.is_some()).count())
        .collect()
}

#[allow(clippy::unnecessary_cast)] // st_dev and st_ino are narrower on some CPUs
fn identity(fd: RawFd) -> Option<(u64, u64)> {
    // SAFETY: fstat into a local buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some((st.st_dev as u64, st.st_ino as u64))
}

/// Runs one scenario; panics on any breach of the contract.
pub(crate) fn run(data: &[u8]) {
    let s = Scenario::from_bytes(data);
    let (tx, rx) = socketpair(
        AddressFamily::Unix,
        s.kind,
        None,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
    )
    .expect("socketpair");
    if s.passcred {
        setsockopt(&rx, sockopt::PassCred, &true).expect("SO_PASSCRED");
    }
    let pipes: Vec<(OwnedFd, OwnedFd)> = (0..s.fds)
        .map(|_| nix::unistd::pipe().expect("pipe"))
        .collect();
    let raw: Vec<RawFd> = pipes.iter().map(|(r, _)| r.as_raw_fd()).collect();
    let files: Vec<Option<(u64, u64)>> = raw.iter().map(|&fd| identity(fd)).collect();
    let first = files.first().copied().flatten();

    let creds = UnixCredentials::new();
    let mut cmsgs = Vec::new();
    if s.send_creds {
        cmsgs.push(ControlMessage::ScmCredentials(&creds));
    }
    if !raw.is_empty() {
        cmsgs.push(ControlMessage::ScmRights(&raw));
    }
    let iov = [IoSlice::new(&s.payload)];
    let sent = sendmsg::<()>(tx.as_raw_fd(), &iov, &cmsgs, MsgFlags::empty(), None);
    // a stream sends nothing for an empty payload, fds or not
    let delivered = match sent {
        Ok(_) => !(s.kind == SockType::Stream && s.payload.is_empty()),
        Err(_) => false,
    };

    let before = copies(&files);
    #[repr(C, align(8))]
    struct Buf([u8; 64]);
    let mut buf = Buf([0x5a; 64]);
    // SAFETY: buf is writable for 64 >= read_size bytes; NULL log.
    let rc = unsafe {
        ngx_channel::ngx_read_channel(
            rx.as_raw_fd(),
            buf.0.as_mut_ptr().cast(),
            s.read_size,
            std::ptr::null_mut(),
        )
    };
    let errno = std::io::Error::last_os_error().raw_os_error();

    let n = s.payload.len().min(s.read_size);
    let word = std::mem::size_of::<usize>();
    let command = usize::from_ne_bytes(buf.0[..word].try_into().expect("a word"));
    let fd_field = i32::from_ne_bytes(buf.0[3 * word..3 * word + 4].try_into().expect("4 bytes"));

    if !delivered {
        assert_eq!(rc, -2, "nothing arrived: NGX_AGAIN ({s:?})");
        assert_eq!(errno, Some(libc::EAGAIN));
    } else if n < 4 * word {
        assert_eq!(rc, -1, "R3/R4: nothing or too little ({s:?})");
    } else if s.open_channel {
        assert_eq!(command, 1, "the payload arrived as sent ({s:?})");
        // OPEN_CHANNEL: the fd is handed over exactly when SCM_RIGHTS came
        // first (credentials, when passed, come first and do not fit)
        if s.fds > 0 && !s.passcred {
            assert_eq!(rc, n as isize, "R7/R10 ({s:?})");
            assert_eq!(identity(fd_field), first, "the first fd sent ({s:?})");
            // SAFETY: F_GETFD only reads flags.
            let flags = unsafe { libc::fcntl(fd_field, libc::F_GETFD) };
            assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC, "H3 ({s:?})");
            // SAFETY: the handed fd is ours to close.
            unsafe { libc::close(fd_field) };
        } else if ngx_channel::UPSTREAM_NEXT && !s.passcred {
            // nothing arrived in the control buffer: U2
            assert_eq!((rc, fd_field), (n as isize, -1), "U2 ({s:?})");
        } else {
            // R5, or credentials where the fd should be (R6)
            assert_eq!(rc, -1, "R5/R6 ({s:?})");
        }
    } else {
        assert_eq!(rc, n as isize, "R8/R10 ({s:?})");
    }
    assert_eq!(copies(&files), before, "H2: no fd leaked ({s:?})");
}
