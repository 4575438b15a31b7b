//! Test doubles of the nginx symbols the bridge reaches through weak
//! references: `ngx_log_error_core` records each call on the calling
//! thread, and a fake event module records what `ngx_add_channel_event`
//! asks of it.  Defined here, they make the weak references non-NULL in
//! the unit-test binary, exactly as nginx's own objects do in nginx.

use std::cell::RefCell;
use std::ffi::CStr;
use std::sync::{Mutex, MutexGuard};

use libc::{c_char, c_int};

use crate::abi::{ngx_log_t, ngx_uint_t};

/// One call of `ngx_log_error_core`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LogCall {
    pub level: ngx_uint_t,
    pub err: c_int,
    pub fmt: String,
    /// The two integer arguments that follow the format (unused ones are
    /// whatever the registers held, so tests only look at used ones).
    pub args: [isize; 2],
}

thread_local! {
    static LOG: RefCell<Vec<LogCall>> = const { RefCell::new(Vec::new()) };
}

/// Takes the calls recorded on this thread.
pub(super) fn take_log() -> Vec<LogCall> {
    LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

/// nginx's `ngx_log_t` as far as the bridge reads it: `log_level` at the
/// offset of the layout the library is built with, in room for the rest.
pub(super) struct FakeLog {
    words: [usize; 16],
}

impl FakeLog {
    pub(super) fn at(level: ngx_uint_t) -> Box<FakeLog> {
        let mut log = Box::new(FakeLog { words: [0; 16] });
        log.words[crate::nginx::layout::LOG_LEVEL / super::WORD] = level;
        log
    }

    pub(super) fn ptr(&mut self) -> *mut ngx_log_t {
        self.words.as_mut_ptr().cast()
    }
}

/// The test double of nginx's variadic `ngx_log_error_core`.  Stable Rust
/// cannot define a variadic function; on the Linux ABIs this crate targets
/// (x86_64 SysV, AAPCS64) integer variadic arguments travel exactly as
/// fixed ones, so the two that may follow the format are read as such.
#[no_mangle]
pub(super) extern "C" fn ngx_log_error_core(
    level: ngx_uint_t,
    _log: *mut ngx_log_t,
    err: c_int,
    fmt: *const c_char,
    a1: isize,
    a2: isize,
) {
    // SAFETY: the bridge always passes a NUL-terminated format.
    let fmt = unsafe { CStr::from_ptr(fmt) }
        .to_string_lossy()
        .into_owned();
    LOG.with(|l| {
        l.borrow_mut().push(LogCall {
            level,
            err,
            fmt,
            args: [a1, a2],
        })
    });
    // nginx's logger may clobber errno; the bridge must restore it.
    // SAFETY: writing this thread's errno.
    unsafe { *libc::__errno_location() = libc::EIO };
}

/// What the fake event module saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct EventLog {
    pub get: Vec<(c_int, usize)>,
    pub free: Vec<usize>,
    pub add: Vec<(usize, isize, usize)>,
    pub add_conn: Vec<usize>,
}

pub(super) static EVENTS: Mutex<EventLog> = Mutex::new(EventLog {
    get: Vec::new(),
    free: Vec::new(),
    add: Vec::new(),
    add_conn: Vec::new(),
});

/// Serialises the tests that use the process-wide fake event module.
pub(super) static EVENT_TESTS: Mutex<()> = Mutex::new(());

pub(super) fn lock() -> MutexGuard<'static, ()> {
    EVENT_TESTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Behaviour knobs of the fake module, set by each test under `lock()`.
pub(super) static mut NEXT_CONNECTION: usize = 0;
pub(super) static mut ADD_RESULT: isize = 0;
pub(super) static mut ADD_CONN_RESULT: isize = 0;

#[no_mangle]
pub(super) static mut ngx_event_flags: ngx_uint_t = 0;

/// `ngx_event_actions_t`: add, del, enable, disable, add_conn, del_conn,
/// notify, process_events, init, done.
#[no_mangle]
pub(super) static mut ngx_event_actions: [usize; 10] = [0; 10];

#[no_mangle]
pub(super) extern "C" fn ngx_get_connection(fd: c_int, log: *mut ngx_log_t) -> *mut u8 {
    EVENTS.lock().unwrap().get.push((fd, log as usize));
    // SAFETY: set by the test holding lock().
    unsafe { NEXT_CONNECTION as *mut u8 }
}

#[no_mangle]
pub(super) extern "C" fn ngx_free_connection(c: *mut u8) {
    EVENTS.lock().unwrap().free.push(c as usize);
}

pub(super) extern "C" fn fake_add(ev: *mut u8, event: isize, flags: usize) -> isize {
    EVENTS.lock().unwrap().add.push((ev as usize, event, flags));
    // SAFETY: set by the test holding lock().
    let rc = unsafe { ADD_RESULT };
    if rc == -1 {
        // SAFETY: writing this thread's errno, as a failing epoll_ctl does.
        unsafe { *libc::__errno_location() = libc::EEXIST };
    }
    rc
}

pub(super) extern "C" fn fake_add_conn(c: *mut u8) -> isize {
    EVENTS.lock().unwrap().add_conn.push(c as usize);
    // SAFETY: set by the test holding lock().
    let rc = unsafe { ADD_CONN_RESULT };
    if rc == -1 {
        // SAFETY: writing this thread's errno.
        unsafe { *libc::__errno_location() = libc::EEXIST };
    }
    rc
}
