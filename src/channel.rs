//! A safe Rust API on nginx's channel wire format.
//!
//! For Rust programs that want nginx-style master/worker channels, or that
//! talk to nginx-compatible peers: the same 32-byte messages, the same
//! `SCM_RIGHTS` fd passing and the same rules as the C functions (this
//! module wraps the same wire layer), with owned descriptors and a proper error
//! type instead of integers.
//!
//! ```
//! use ngx_channel::channel::{pair, Command, Message};
//! use std::os::fd::AsFd;
//!
//! let (master, worker) = pair()?;
//!
//! // the master hands a file to the worker: any fd, borrowed for the send
//! let file = std::fs::File::open("/dev/null")?;
//! master.send(&Message::new(Command::Open, 42, 0), Some(file.as_fd()))?;
//! master.send(&Message::new(Command::Quit, 42, 0), None)?;
//!
//! // the worker owns what it receives: no bare integer to leak
//! let open = worker.recv()?;
//! assert_eq!(open.message.command, Command::Open);
//! let received: std::os::fd::OwnedFd = open.fd.expect("OPEN_CHANNEL carries an fd");
//! assert_eq!(worker.recv()?.message.command, Command::Quit);
//! # drop(received);
//! # Ok::<(), ngx_channel::channel::Error>(())
//! ```

use std::fmt;
use std::io;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};

use crate::abi::{
    ngx_channel_t, NGX_CMD_CLOSE_CHANNEL, NGX_CMD_OPEN_CHANNEL, NGX_CMD_QUIT, NGX_CMD_REOPEN,
    NGX_CMD_TERMINATE,
};
use crate::wire::{self, Sent};

/// What a message asks of its receiver: nginx's five commands, or the
/// value a module uses for its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// `NGX_CMD_OPEN_CHANNEL` (1): here is another process's channel fd.
    Open,
    /// `NGX_CMD_CLOSE_CHANNEL` (2): close your copy of a channel.
    Close,
    /// `NGX_CMD_QUIT` (3): shut down gracefully.
    Quit,
    /// `NGX_CMD_TERMINATE` (4): shut down now.
    Terminate,
    /// `NGX_CMD_REOPEN` (5): reopen log files.
    Reopen,
    /// Any other value, as modules send (never validated, as in nginx).
    Other(usize),
}

impl Command {
    /// The value on the wire.
    pub fn value(self) -> usize {
        match self {
            Command::Open => NGX_CMD_OPEN_CHANNEL,
            Command::Close => NGX_CMD_CLOSE_CHANNEL,
            Command::Quit => NGX_CMD_QUIT,
            Command::Terminate => NGX_CMD_TERMINATE,
            Command::Reopen => NGX_CMD_REOPEN,
            Command::Other(v) => v,
        }
    }

    /// The command a wire value means.
    pub fn from_value(v: usize) -> Command {
        match v {
            NGX_CMD_OPEN_CHANNEL => Command::Open,
            NGX_CMD_CLOSE_CHANNEL => Command::Close,
            NGX_CMD_QUIT => Command::Quit,
            NGX_CMD_TERMINATE => Command::Terminate,
            NGX_CMD_REOPEN => Command::Reopen,
            v => Command::Other(v),
        }
    }
}

/// One message: a command and the process it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    /// What the receiver is asked to do.
    pub command: Command,
    /// The pid of the process the message is about.
    pub pid: libc::pid_t,
    /// The process slot the message is about.
    pub slot: isize,
}

impl Message {
    /// A message about process `pid` in `slot`.
    pub fn new(command: Command, pid: libc::pid_t, slot: isize) -> Message {
        Message { command, pid, slot }
    }
}

/// A received message, with the descriptor that came with it.
#[derive(Debug)]
pub struct Received {
    /// The message.
    pub message: Message,
    /// For [`Command::Open`], the descriptor that arrived, owned (and
    /// close-on-exec).  Descriptors that arrive with any other command are
    /// closed on receipt, as the C functions do.
    pub fd: Option<OwnedFd>,
    /// The number the sender put in the message's `fd` field.  For other
    /// commands than `Open` it is only a number (nginx sends -1), never a
    /// descriptor of this process.
    pub fd_field: RawFd,
    /// The kernel truncated the data or the control data (nginx logs
    /// "recvmsg() truncated data" and goes on).
    pub truncated: bool,
}

/// Why a send or a receive did not deliver a message.
#[derive(Debug)]
pub enum Error {
    /// The socket would block (`EAGAIN`; nginx's `NGX_AGAIN`): try again
    /// when it is ready.
    WouldBlock,
    /// The peer closed the channel (end of file).
    Closed,
    /// The system call failed with this error (nginx: "sendmsg() failed" or
    /// "recvmsg() failed").
    Io(io::Error),
    /// Fewer bytes than a message arrived (nginx: "recvmsg() returned not
    /// enough data").
    Short(usize),
    /// `Open` arrived without its descriptor (nginx: "recvmsg() returned
    /// too small ancillary data").
    MissingFd,
    /// `Open` arrived with control data of another kind (nginx: "recvmsg()
    /// returned invalid ancillary data level %d or type %d").
    BadControl {
        /// The `cmsg_level` that arrived.
        level: i32,
        /// The `cmsg_type` that arrived.
        kind: i32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WouldBlock => f.write_str("the channel would block"),
            Error::Closed => f.write_str("the peer closed the channel"),
            Error::Io(e) => write!(f, "channel I/O failed: {e}"),
            Error::Short(n) => write!(
                f,
                "not enough data: {n} bytes of a {}-byte message",
                size_of::<ngx_channel_t>()
            ),
            Error::MissingFd => f.write_str("OPEN_CHANNEL arrived without a descriptor"),
            Error::BadControl { level, kind } => {
                write!(f, "invalid ancillary data level {level} or type {kind}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}

/// One end of a channel: a non-blocking, close-on-exec AF_UNIX stream
/// socket, as nginx's master makes them.
#[derive(Debug)]
pub struct Channel {
    fd: OwnedFd,
}

/// A connected pair of channel ends, made as nginx makes its channels
/// (`socketpair(AF_UNIX, SOCK_STREAM)`, both non-blocking, close-on-exec).
pub fn pair() -> io::Result<(Channel, Channel)> {
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
    )?;
    Ok((Channel { fd: a }, Channel { fd: b }))
}

impl Channel {
    /// A channel over a socket of your own (e.g. one end that nginx or a C
    /// program made, inherited or received).  Blocking or not is its own.
    pub fn from_fd(fd: OwnedFd) -> Channel {
        Channel { fd }
    }

    /// Sends `message`, with `fd` as `SCM_RIGHTS` control data when given,
    /// in one `sendmsg()`: the bytes nginx's `ngx_write_channel` sends.
    /// Never raises `SIGPIPE`.
    pub fn send(&self, message: &Message, fd: Option<BorrowedFd<'_>>) -> Result<(), Error> {
        // SAFETY: ngx_channel_t is plain integers; zeroing makes its
        // padding, which goes over the wire, zero as nginx's callers do.
        let mut ch: ngx_channel_t = unsafe { std::mem::zeroed() };
        ch.command = message.command.value();
        ch.pid = message.pid;
        ch.slot = message.slot;
        ch.fd = fd.map_or(-1, |f| f.as_raw_fd());
        let fd = ch.fd;
        match wire::send(self.fd.as_raw_fd(), bytes_of(&mut ch), fd) {
            Sent::Done(n) if n == size_of::<ngx_channel_t>() => Ok(()),
            // nginx does not detect a short write; a Rust caller is told
            Sent::Done(n) => Err(Error::Io(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("short write: {n} of {} bytes", size_of::<ngx_channel_t>()),
            ))),
            Sent::Again => Err(Error::WouldBlock),
            Sent::Failed(e) => Err(Error::Io(io::Error::from_raw_os_error(e))),
        }
    }

    /// Receives one message with one `recvmsg()`, with nginx's checks in
    /// nginx's order (`ngx_read_channel`).
    pub fn recv(&self) -> Result<Received, Error> {
        // SAFETY: as in send().
        let mut ch: ngx_channel_t = unsafe { std::mem::zeroed() };
        match wire::recv(self.fd.as_raw_fd(), bytes_of(&mut ch)) {
            wire::Received::Message { flags, .. } => {
                let command = Command::from_value(ch.command);
                let fd = if command == Command::Open {
                    // SAFETY: for OPEN_CHANNEL the core stored the fd it
                    // received and handed over to us, and nobody else.
                    Some(unsafe { OwnedFd::from_raw_fd(ch.fd) })
                } else {
                    None
                };
                Ok(Received {
                    message: Message::new(command, ch.pid, ch.slot),
                    fd,
                    fd_field: ch.fd,
                    truncated: flags & (libc::MSG_TRUNC | libc::MSG_CTRUNC) != 0,
                })
            }
            wire::Received::Again => Err(Error::WouldBlock),
            wire::Received::Failed(e) => Err(Error::Io(io::Error::from_raw_os_error(e))),
            wire::Received::Closed => Err(Error::Closed),
            wire::Received::Short(n) => Err(Error::Short(n as usize)),
            wire::Received::NoFd { .. } => Err(Error::MissingFd),
            wire::Received::BadControl { level, kind, .. } => {
                Err(Error::BadControl { level, kind })
            }
        }
    }

    /// Receives, waiting (with `poll`) while the channel would block.
    pub fn recv_blocking(&self) -> Result<Received, Error> {
        loop {
            match self.recv() {
                Err(Error::WouldBlock) => self.wait(libc::POLLIN)?,
                other => return other,
            }
        }
    }

    /// Sends, waiting (with `poll`) while the channel would block.
    pub fn send_blocking(
        &self,
        message: &Message,
        fd: Option<BorrowedFd<'_>>,
    ) -> Result<(), Error> {
        loop {
            match self.send(message, fd) {
                Err(Error::WouldBlock) => self.wait(libc::POLLOUT)?,
                other => return other,
            }
        }
    }

    fn wait(&self, events: libc::c_short) -> Result<(), Error> {
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events,
            revents: 0,
        };
        // SAFETY: p is one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, -1) } == -1 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(Error::Io(e));
            }
        }
        Ok(())
    }

    /// The socket, owned, back.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

impl AsFd for Channel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Channel {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The bytes of a message, for the wire to send or receive into: every byte
/// pattern is an `ngx_channel_t` (it is integers and padding).
fn bytes_of(ch: &mut ngx_channel_t) -> &mut [MaybeUninit<u8>] {
    // SAFETY: ch is valid for its size, borrowed for the slice's lifetime,
    // and any bytes written there leave a valid ngx_channel_t.
    unsafe {
        std::slice::from_raw_parts_mut(
            ptr::from_mut(ch).cast::<MaybeUninit<u8>>(),
            size_of::<ngx_channel_t>(),
        )
    }
}
