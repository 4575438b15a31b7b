//! What `ngx_read_channel` returns and logs for what the wire received:
//! nginx 1.28.3's read path, or, with the `upstream-next` feature, that of
//! nginx's fd-table fix (commit c650b3ec5; CONTRACT U1-U4).  Every rule in
//! which the two differ is in this file.

use core::mem::MaybeUninit;

use crate::abi::{ngx_int_t, NGX_AGAIN, NGX_ERROR};
use crate::nginx::{Line, Log};
use crate::wire::{set_errno, set_fd, Received};
use crate::UPSTREAM_NEXT;

/// Whether an OPEN_CHANNEL whose control header says it is shorter than
/// one fd's is R5 (nginx 1.28).  With the fix only `msg_controllen` counts
/// (U2): the wire reads the fd after such a header.
pub(crate) const TRUSTS_CMSG_LEN: bool = !UPSTREAM_NEXT;

/// nginx's return value and log line for what `wire::recv` found into
/// `ch`, the caller's buffer (CONTRACT R1-R10; U1-U4 with `upstream-next`).
pub(crate) fn read_result(received: Received, ch: &mut [MaybeUninit<u8>], log: Log) -> ngx_int_t {
    match received {
        Received::Message { n, flags } => {
            truncation(log, flags);
            n
        }
        Received::Again => NGX_AGAIN,
        Received::Failed(err) if UPSTREAM_NEXT && fd_table_full(err) => {
            // U1: the message is skipped, the channel kept
            log.alert(err, Line::RecvmsgFailed);
            ch.fill(MaybeUninit::new(0));
            set_errno(err);
            0
        }
        Received::Failed(err) => fail(log, err, Line::RecvmsgFailed),
        Received::Closed => {
            log.debug_core(Line::RecvmsgZero);
            NGX_ERROR
        }
        Received::Short(n) => fail(log, 0, Line::NotEnoughData(n)),
        Received::NoFd { n, flags } if UPSTREAM_NEXT => {
            // U2: OPEN_CHANNEL without its fd goes on, with fd -1
            log.alert(0, Line::TooSmallAncillary);
            set_fd(ch, -1);
            truncation(log, flags);
            n
        }
        Received::NoFd { .. } => fail(log, 0, Line::TooSmallAncillary),
        Received::BadControl { level, kind } => fail(log, 0, Line::InvalidAncillary(level, kind)),
    }
}

/// The errors with which BSD and Solaris fail `recvmsg()` when no fd slot
/// is free for SCM_RIGHTS (Linux delivers the message without the fd).
fn fd_table_full(err: i32) -> bool {
    err == libc::EMSGSIZE || err == libc::EMFILE
}

/// R9: ALERT "recvmsg() truncated data" for MSG_TRUNC or MSG_CTRUNC (with
/// the fd-table fix, U4: MSG_TRUNC only; a missing fd is reported by U2).
fn truncation(log: Log, flags: i32) {
    let reported = if UPSTREAM_NEXT {
        libc::MSG_TRUNC
    } else {
        libc::MSG_TRUNC | libc::MSG_CTRUNC
    };
    if flags & reported != 0 {
        log.alert(0, Line::Truncated);
    }
}

/// Logs an ALERT and returns `NGX_ERROR` with errno `err` left set.
fn fail(log: Log, err: i32, line: Line) -> ngx_int_t {
    log.alert(err, line);
    NGX_ERROR
}
