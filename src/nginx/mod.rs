//! The nginx bridge: the only code that knows nginx.  It reads `log_level`
//! and calls `ngx_log_error_core` as nginx's `ngx_log_error()` and
//! `ngx_log_debug0()` macros do, holds the debug switch (`NGX_DEBUG`), and
//! reaches nginx's event module through the connection and event layouts
//! of `layout`.  nginx's symbols are weak references (`weak.c`), so the
//! library also links into programs without nginx.

/// The offsets, the `channel` bit and the constants of nginx this library
/// is built for: build.rs measures them from the nginx at NGINX_BUILD_DIR
/// (the addon always sets it), or takes nginx 1.28.3's from layout.rs.
pub(crate) mod layout {
    include!(concat!(env!("OUT_DIR"), "/layout.rs"));
}

use core::ffi::{c_char, CStr};
use core::mem::transmute;
use core::ptr;

use libc::c_int;

use crate::abi::{
    ngx_cycle_t, ngx_err_t, ngx_event_handler_pt, ngx_event_t, ngx_int_t, ngx_log_t, ngx_uint_t,
    NGX_ERROR,
};
use crate::wire::{errno, set_errno};

/// Whether this library was built for an nginx configured `--with-debug`:
/// only then does the one debug line exist (CONTRACT L2).
pub(crate) const DEBUG: bool = cfg!(ngx_channel_debug);

/// nginx's `ngx_log_error_core(level, log, err, fmt, ...)`.
type LogErrorCore = unsafe extern "C" fn(ngx_uint_t, *mut ngx_log_t, ngx_err_t, *const c_char, ...);
/// Angie's, with the caller's source file name after the log
/// (`layout::LOG_SRC_FILE`).
type LogErrorCoreSrcFile =
    unsafe extern "C" fn(ngx_uint_t, *mut ngx_log_t, *const c_char, ngx_err_t, *const c_char, ...);
type GetConnection = unsafe extern "C" fn(c_int, *mut ngx_log_t) -> *mut u8;
type FreeConnection = unsafe extern "C" fn(*mut u8);
type AddEvent = unsafe extern "C" fn(*mut ngx_event_t, ngx_int_t, ngx_uint_t) -> ngx_int_t;
type AddConn = unsafe extern "C" fn(*mut u8) -> ngx_int_t;

extern "C" {
    // weak.c: the addresses of nginx's symbols, NULL where nginx is absent.
    static ngx_channel_rs_log_error_core: Option<unsafe extern "C" fn()>;
    static ngx_channel_rs_get_connection: Option<GetConnection>;
    static ngx_channel_rs_free_connection: Option<FreeConnection>;
    static ngx_channel_rs_event_actions: *const u8;
    static ngx_channel_rs_event_flags: *const ngx_uint_t;
}

/// One log line of the channel code: nginx's format string and arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// `sendmsg() failed` (W6).
    SendmsgFailed,
    /// `recvmsg() failed` (R2).
    RecvmsgFailed,
    /// `recvmsg() returned zero` (R3, debug only).
    RecvmsgZero,
    /// `recvmsg() returned not enough data: %z` (R4).
    NotEnoughData(isize),
    /// `recvmsg() returned too small ancillary data` (R5).
    TooSmallAncillary,
    /// `recvmsg() returned invalid ancillary data level %d or type %d` (R6).
    InvalidAncillary(c_int, c_int),
    /// `recvmsg() truncated data` (R9).
    Truncated,
    /// `close() channel failed` (C2).
    CloseFailed,
    /// A NULL pointer where nginx would crash (H5); names the function.
    NullArgument(&'static CStr),
}

impl Line {
    /// nginx's format string for this line.
    pub(crate) fn format(self) -> &'static CStr {
        match self {
            Line::SendmsgFailed => c"sendmsg() failed",
            Line::RecvmsgFailed => c"recvmsg() failed",
            Line::RecvmsgZero => c"recvmsg() returned zero",
            Line::NotEnoughData(_) => c"recvmsg() returned not enough data: %z",
            Line::TooSmallAncillary => c"recvmsg() returned too small ancillary data",
            Line::InvalidAncillary(..) => {
                c"recvmsg() returned invalid ancillary data level %d or type %d"
            }
            Line::Truncated => c"recvmsg() truncated data",
            Line::CloseFailed => c"close() channel failed",
            Line::NullArgument(what) => what,
        }
    }
}

/// The log an nginx caller lent for one call: NULL, which logs nothing
/// (CONTRACT H5), or a valid `ngx_log_t`.  Made once per exported call,
/// so that logging is safe from there on.
#[derive(Clone, Copy)]
pub(crate) struct Log(*mut ngx_log_t);

impl Log {
    /// # Safety
    /// `log` is NULL or points to a valid `ngx_log_t` for as long as the
    /// `Log` is used.
    pub(crate) unsafe fn new(log: *mut ngx_log_t) -> Log {
        Log(log)
    }

    /// Logs `line` at ALERT with `err`, as `ngx_log_error(NGX_LOG_ALERT,
    /// log, err, ...)` does: nothing unless `log->log_level >=
    /// NGX_LOG_ALERT`.  errno is kept (L3).
    pub(crate) fn alert(self, err: ngx_err_t, line: Line) {
        if self.level().is_some_and(|l| l >= layout::LOG_ALERT) {
            self.emit(layout::LOG_ALERT, err, line);
        }
    }

    /// Logs `line` as `ngx_log_debug0(NGX_LOG_DEBUG_CORE, log, 0, ...)`
    /// does in an nginx built `--with-debug`, and not at all otherwise (L2).
    pub(crate) fn debug_core(self, line: Line) {
        self.debug_core_if(DEBUG, line);
    }

    /// [`Log::debug_core`] with the debug switch as an argument, for tests.
    pub(crate) fn debug_core_if(self, debug: bool, line: Line) {
        if debug
            && self
                .level()
                .is_some_and(|l| l & layout::LOG_DEBUG_CORE != 0)
        {
            self.emit(layout::LOG_DEBUG, 0, line);
        }
    }

    /// `log->log_level`, or None for a NULL log.
    fn level(self) -> Option<ngx_uint_t> {
        // SAFETY: a non-NULL log is a valid ngx_log_t (Log::new), whose
        // log_level is an ngx_uint_t at layout::LOG_LEVEL.
        (!self.0.is_null())
            .then(|| unsafe { ptr::read(self.0.cast::<u8>().add(layout::LOG_LEVEL).cast()) })
    }

    /// Calls `ngx_log_error_core` with the line's arguments, or, in a
    /// process without nginx, writes the line to stderr.
    fn emit(self, level: ngx_uint_t, err: ngx_err_t, line: Line) {
        let log = self.0;
        let saved = errno();
        // SAFETY: reading a constant pointer set up by weak.c.
        match unsafe { ngx_channel_rs_log_error_core } {
            Some(core) => {
                let fmt = line.format().as_ptr();
                // The form of ngx_log_error_core this nginx has (build.rs
                // checked that it has one of the two), with the line's
                // arguments after the format.
                macro_rules! call {
                    ($($arg:expr),*) => {
                        if layout::LOG_SRC_FILE {
                            // SAFETY: build.rs found this nginx's
                            // ngx_log_error_core to be of this type.
                            let core: LogErrorCoreSrcFile = unsafe { transmute(core) };
                            // what nginx's own ngx_channel.c passes for it
                            let file = c"ngx_channel.c".as_ptr();
                            // SAFETY: nginx's function, with a valid log
                            // (Log::new) and the format's arguments.
                            unsafe { core(level, log, file, err, fmt $(, $arg)*) }
                        } else {
                            // SAFETY: build.rs found this nginx's
                            // ngx_log_error_core to be of this type.
                            let core: LogErrorCore = unsafe { transmute(core) };
                            // SAFETY: nginx's function, with a valid log
                            // (Log::new) and the format's arguments.
                            unsafe { core(level, log, err, fmt $(, $arg)*) }
                        }
                    };
                }
                // each format gets the arguments its conversions name (%z:
                // ssize_t, %d: int)
                match line {
                    Line::NotEnoughData(n) => call!(n),
                    Line::InvalidAncillary(l, t) => call!(l, t),
                    _ => call!(),
                }
            }
            None => fallback::write_line(level, err, line),
        }
        set_errno(saved);
    }
}

mod fallback;

/// Why `ngx_add_channel_event` failed before reaching nginx's event module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddError {
    /// `ngx_get_connection` returned NULL (A2): nginx logged why.
    NoConnection,
    /// The event module's call returned `NGX_ERROR` (A3, A4).
    EventModule,
    /// nginx's event code is not linked into this process (A5).
    NoNginx,
}

/// `ngx_add_channel_event` (CONTRACT A1-A5) on nginx's structures.
///
/// # Safety
/// `cycle` points to a valid `ngx_cycle_t` whose `log` and `pool` are set,
/// and nginx's event module is initialised, as in nginx's own callers.
pub(crate) unsafe fn add_channel_event(
    cycle: *mut ngx_cycle_t,
    fd: c_int,
    event: ngx_int_t,
    handler: ngx_event_handler_pt,
) -> Result<(), AddError> {
    use layout::*;

    // SAFETY: reading constant pointers set up by weak.c.
    let (get, free, actions, flags) = unsafe {
        (
            ngx_channel_rs_get_connection,
            ngx_channel_rs_free_connection,
            ngx_channel_rs_event_actions,
            ngx_channel_rs_event_flags,
        )
    };
    let (Some(get), Some(free)) = (get, free) else {
        return Err(AddError::NoNginx);
    };
    if actions.is_null() || flags.is_null() {
        return Err(AddError::NoNginx);
    }

    let cycle = cycle.cast::<u8>();
    // SAFETY: the offsets are those of this nginx's structures (measured
    // from its headers by build.rs when NGINX_BUILD_DIR is given); the
    // caller passes a valid cycle and nginx returns valid connections whose
    // read and write events exist, as nginx's own C relies on.
    unsafe {
        let log: *mut ngx_log_t = read_at(cycle, CYCLE_LOG);
        let c = get(fd, log);
        if c.is_null() {
            return Err(AddError::NoConnection);
        }
        let pool: *mut u8 = read_at(cycle, CYCLE_POOL);
        write_at(c, CONN_POOL, pool);

        let rev: *mut u8 = read_at(c, CONN_READ);
        let wev: *mut u8 = read_at(c, CONN_WRITE);
        let log: *mut ngx_log_t = read_at(cycle, CYCLE_LOG);
        write_at(rev, EV_LOG, log);
        write_at(wev, EV_LOG, log);
        *rev.add(EV_CHANNEL_BYTE) |= EV_CHANNEL_MASK;
        *wev.add(EV_CHANNEL_BYTE) |= EV_CHANNEL_MASK;

        let ev = if event == READ_EVENT { rev } else { wev };
        write_at(ev, EV_HANDLER, handler);

        let add_conn: Option<AddConn> = read_at(actions, ACTIONS_ADD_CONN);
        let rc = match add_conn {
            Some(add_conn) if *flags & USE_EPOLL_EVENT == 0 => add_conn(c),
            _ => match read_at::<Option<AddEvent>>(actions, ACTIONS_ADD) {
                Some(add) => add(ev.cast(), event, 0),
                // nginx would call through NULL here; no event module is
                // initialised, so fail as the module would.
                None => NGX_ERROR,
            },
        };
        if rc == NGX_ERROR {
            let saved = errno();
            free(c);
            set_errno(saved);
            return Err(AddError::EventModule);
        }
    }
    Ok(())
}

/// Reads a `T` at `base + off`.
///
/// # Safety
/// `base + off` holds a valid, aligned `T`.
unsafe fn read_at<T>(base: *const u8, off: usize) -> T {
    // SAFETY: by this function's contract.
    unsafe { ptr::read(base.add(off).cast()) }
}

/// Writes a `T` at `base + off`.
///
/// # Safety
/// `base + off` is writable and aligned for a `T`.
unsafe fn write_at<T>(base: *mut u8, off: usize, v: T) {
    // SAFETY: by this function's contract.
    unsafe { ptr::write(base.add(off).cast(), v) }
}
