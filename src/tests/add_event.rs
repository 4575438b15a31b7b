//! ngx_add_channel_event: CONTRACT A1-A4, on fake nginx structures laid
//! out from the layout the library is built with, with a fake event module.

use super::fake_nginx::*;
use super::WORD;
use crate::abi::*;
use crate::nginx::layout::*;
use crate::ngx_add_channel_event;
use crate::wire::errno;

/// Any event but NGX_READ_EVENT (nginx's NGX_WRITE_EVENT is EPOLLOUT).
const WRITE: isize = 0x0004;

/// Room for any of nginx's structures the bridge touches, word-aligned.
type Mem = Box<[usize; 64]>;

/// The word at byte offset `off`.
fn get(m: &Mem, off: usize) -> usize {
    m[off / WORD]
}

/// Sets the word at byte offset `off`.
fn put(m: &mut Mem, off: usize, v: usize) {
    m[off / WORD] = v;
}

/// A cycle, a connection and its two events.
struct World {
    cycle: Mem,
    conn: Mem,
    rev: Mem,
    wev: Mem,
}

const POOL: usize = 0xdead_0000;
const LOG: usize = 0xbeef_0000;

impl World {
    fn new() -> World {
        let mut w = World {
            cycle: Box::new([0; 64]),
            conn: Box::new([0; 64]),
            rev: Box::new([0; 64]),
            wev: Box::new([0; 64]),
        };
        put(&mut w.cycle, CYCLE_POOL, POOL);
        put(&mut w.cycle, CYCLE_LOG, LOG);
        let (rev, wev) = (w.rev.as_mut_ptr() as usize, w.wev.as_mut_ptr() as usize);
        put(&mut w.conn, CONN_READ, rev);
        put(&mut w.conn, CONN_WRITE, wev);
        w
    }

    fn cycle(&mut self) -> *mut ngx_cycle_t {
        self.cycle.as_mut_ptr().cast()
    }

    fn conn_addr(&mut self) -> usize {
        self.conn.as_mut_ptr() as usize
    }

    fn channel_bit(ev: &Mem) -> bool {
        // SAFETY: reading one byte inside the 512-byte array.
        let byte = unsafe { *(ev.as_ptr() as *const u8).add(EV_CHANNEL_BYTE) };
        byte == EV_CHANNEL_MASK
    }
}

extern "C" fn handler(_: *mut ngx_event_t) {}

fn setup(w: &mut World, add_conn: bool, flags: usize, add_rc: isize, conn_rc: isize) {
    *EVENTS.lock().unwrap() = EventLog::default();
    // SAFETY: the fake module's knobs, set under lock().
    unsafe {
        NEXT_CONNECTION = w.conn_addr();
        ADD_RESULT = add_rc;
        ADD_CONN_RESULT = conn_rc;
        ngx_event_flags = flags;
        ngx_event_actions = [0; 10];
        ngx_event_actions[ACTIONS_ADD / WORD] = fake_add as *const () as usize;
        if add_conn {
            ngx_event_actions[ACTIONS_ADD_CONN / WORD] = fake_add_conn as *const () as usize;
        }
    }
}

fn events() -> EventLog {
    EVENTS.lock().unwrap().clone()
}

#[test]
fn a1_read_event_via_add_event() {
    let _g = lock();
    let mut w = World::new();
    setup(&mut w, true, USE_EPOLL_EVENT, NGX_OK, NGX_OK);
    // SAFETY: a cycle laid out as nginx's.
    let rc = unsafe { ngx_add_channel_event(w.cycle(), 17, READ_EVENT, Some(handler)) };
    assert_eq!(rc, NGX_OK);
    let c = w.conn_addr();
    let e = events();
    assert_eq!(e.get, vec![(17, LOG)], "ngx_get_connection(fd, cycle->log)");
    assert_eq!(get(&w.conn, CONN_POOL), POOL, "c->pool = cycle->pool");
    assert_eq!(
        (get(&w.rev, EV_LOG), get(&w.wev, EV_LOG)),
        (LOG, LOG),
        "rev/wev->log"
    );
    assert!(World::channel_bit(&w.rev) && World::channel_bit(&w.wev));
    assert_eq!(
        get(&w.rev, EV_HANDLER),
        handler as *const () as usize,
        "rev->handler"
    );
    assert_eq!(get(&w.wev, EV_HANDLER), 0);
    assert_eq!(e.add, vec![(w.rev.as_ptr() as usize, READ_EVENT, 0)]);
    assert!(e.add_conn.is_empty(), "epoll: add_event, not add_conn");
    assert!(e.free.is_empty());
    let _ = c;
}

#[test]
fn a1_write_event_sets_the_write_handler() {
    let _g = lock();
    let mut w = World::new();
    setup(&mut w, false, 0, NGX_OK, NGX_OK);
    // SAFETY: as above.
    let rc = unsafe { ngx_add_channel_event(w.cycle(), 3, WRITE, Some(handler)) };
    assert_eq!(rc, NGX_OK);
    assert_eq!(get(&w.wev, EV_HANDLER), handler as *const () as usize);
    assert_eq!(get(&w.rev, EV_HANDLER), 0);
    assert_eq!(events().add, vec![(w.wev.as_ptr() as usize, WRITE, 0)]);
}

#[test]
fn a2_no_free_connection_is_error() {
    let _g = lock();
    let mut w = World::new();
    setup(&mut w, false, 0, NGX_OK, NGX_OK);
    // SAFETY: the fake returns NULL.
    unsafe { NEXT_CONNECTION = 0 };
    // SAFETY: as above.
    let rc = unsafe { ngx_add_channel_event(w.cycle(), 3, READ_EVENT, Some(handler)) };
    assert_eq!(rc, NGX_ERROR);
    let e = events();
    assert!(e.add.is_empty() && e.free.is_empty());
    assert_eq!(get(&w.conn, CONN_POOL), 0, "nothing touched");
}

#[test]
fn a3_add_event_failure_frees_the_connection_keeping_errno() {
    let _g = lock();
    let mut w = World::new();
    setup(&mut w, false, 0, NGX_ERROR, NGX_OK);
    // SAFETY: as above.
    let rc = unsafe { ngx_add_channel_event(w.cycle(), 3, READ_EVENT, Some(handler)) };
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(errno(), libc::EEXIST, "errno from the event module");
    assert_eq!(events().free, vec![w.conn_addr()]);
}

#[test]
fn a4_add_conn_branch_without_epoll_flag() {
    let _g = lock();
    let mut w = World::new();
    setup(&mut w, true, 0, NGX_OK, NGX_OK);
    // SAFETY: as above.
    let rc = unsafe { ngx_add_channel_event(w.cycle(), 3, READ_EVENT, Some(handler)) };
    assert_eq!(rc, NGX_OK);
    let e = events();
    assert_eq!(e.add_conn, vec![w.conn_addr()]);
    assert!(e.add.is_empty());
}

#[test]
fn a4_add_conn_failure_frees_the_connection() {
    let _g = lock();
    let mut w = World::new();
    setup(&mut w, true, 0, NGX_OK, NGX_ERROR);
    // SAFETY: as above.
    let rc = unsafe { ngx_add_channel_event(w.cycle(), 3, READ_EVENT, Some(handler)) };
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(events().free, vec![w.conn_addr()]);
}

#[test]
fn a3_other_results_than_error_count_as_success() {
    // nginx compares with NGX_ERROR only: NGX_AGAIN from a module is OK.
    let _g = lock();
    let mut w = World::new();
    setup(&mut w, false, 0, NGX_AGAIN, NGX_OK);
    // SAFETY: as above.
    let rc = unsafe { ngx_add_channel_event(w.cycle(), 3, READ_EVENT, Some(handler)) };
    assert_eq!(rc, NGX_OK);
    assert!(events().free.is_empty());
}

#[test]
fn h5_null_cycle_is_error_einval() {
    // SAFETY: NULL is the case under test.
    let rc = unsafe { ngx_add_channel_event(std::ptr::null_mut(), 3, READ_EVENT, None) };
    assert_eq!(rc, NGX_ERROR);
    assert_eq!(errno(), libc::EINVAL);
}
