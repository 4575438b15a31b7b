//! # ngx-channel
//!
//! nginx's master/worker channel, `src/os/unix/ngx_channel.c`, in Rust, at
//! the same C ABI: [`ngx_write_channel`], [`ngx_read_channel`],
//! [`ngx_add_channel_event`] and [`ngx_close_channel`], and the 32-byte
//! [`ngx_channel_t`] they exchange.  Linked into nginx in place of
//! `ngx_channel.o`, nginx sees the same return values, errno, log lines and
//! bytes on the wire; `docs/CONTRACT.md` lists each case by its id.
//!
//! Three layers, one module each:
//! - `exports`: the four `extern "C"` functions; each turns its pointers into
//!   safe values once, calls the wire and maps the outcome to nginx's return
//!   value and log line (`read_path`: nginx 1.28's, or its fd-table fix's);
//! - `wire`: one message, its control buffer, one `sendmsg()`/`recvmsg()`
//!   and nginx's order of checks, on plain sockets;
//! - `nginx`: the bridge, the only code that knows nginx's structures,
//!   logging and symbols.
//!
//! Rust programs use [`channel`] (feature `std`, on by default): a safe API
//! on the same wire layer and format, with owned descriptors and an error
//! type.
//!
//! # Safety
//!
//! The pointer contract of every exported function, as in nginx:
//! - `ch` points to a buffer readable (write) or writable (read) for `size`
//!   bytes, normally an `ngx_channel_t` with `size = sizeof(ngx_channel_t)`;
//! - `log` points to a valid `ngx_log_t` (only `log_level` is read here;
//!   nginx's `ngx_log_error_core` reads the rest);
//! - `fd` points to two descriptors; `cycle` is nginx's initialised cycle.
//!
//! Where nginx's C would crash, this library does not: a NULL `ch` or `fd`
//! fails with `NGX_ERROR` and errno `EINVAL` (with an ALERT when a log is
//! given), and a NULL `log` means no logging.
//!
//! # Panics
//!
//! None cross the FFI boundary.  The library is built with
//! `panic = "abort"`; without `std` its panic handler aborts, and building
//! it any other way is a compile error.

#![cfg_attr(not(feature = "std"), no_std)]
#![allow(non_camel_case_types)]

#[cfg(all(not(feature = "std"), not(panic = "abort")))]
compile_error!(
    "ngx-channel without the `std` feature is the C library for nginx and \
     must be built with panic = \"abort\" (the release and dev profiles set \
     it): a panic must never unwind across the C ABI"
);

pub mod abi;
#[cfg(feature = "std")]
pub mod channel;
mod exports;
mod nginx;
mod read_path;
mod wire;

pub use abi::*;
pub use exports::{ngx_add_channel_event, ngx_close_channel, ngx_read_channel, ngx_write_channel};

/// Whether this build reads as nginx's fd-table fix (commit c650b3ec5) does:
/// the `upstream-next` feature, docs/CONTRACT.md U1-U4.  An OPEN_CHANNEL
/// without its fd is returned with fd -1, EMSGSIZE and EMFILE skip the
/// message.  Otherwise, nginx 1.28's read path.
pub const UPSTREAM_NEXT: bool = cfg!(feature = "upstream-next");

/// The C library's panic handler: abort, never unwind into C.
#[cfg(all(not(feature = "std"), not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: abort() never returns and has no preconditions.
    unsafe { libc::abort() }
}

// Lets code shared with the fuzz target name the crate as users do.
#[cfg(test)]
extern crate self as ngx_channel;

#[cfg(test)]
mod tests;
