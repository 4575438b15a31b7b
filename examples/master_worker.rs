//! A master/worker TCP server on nginx's channel, in Rust.
//!
//! The master listens on 127.0.0.1 (a port the kernel picks), forks N
//! workers with one channel each, accepts connections and hands each one to
//! a worker (round robin) with `Command::Open`; the workers serve them.
//! Then, as a reload does, the master sends `Command::Quit`: each worker
//! finishes what it was handed before the QUIT and exits 0.  A client
//! thread makes a bounded number of connections and checks every answer.
//!
//!     cargo run --example master_worker -- [WORKERS] [CLIENTS]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::exit;

use ngx_channel::channel::{pair, Channel, Command, Error, Message};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};

fn worker(id: usize, channel: Channel) -> i32 {
    let mut served = 0;
    loop {
        match channel.recv_blocking() {
            Ok(r) if r.message.command == Command::Open => {
                let Some(fd) = r.fd else { return 3 };
                let mut conn = TcpStream::from(fd);
                let mut req = [0u8; 64];
                let _ = conn.read(&mut req);
                let answer = format!("served by worker {id} pid {}\n", std::process::id());
                if conn.write_all(answer.as_bytes()).is_err() {
                    return 4;
                }
                served += 1;
            }
            Ok(r) if r.message.command == Command::Quit => {
                // everything handed over before the QUIT has been served
                return if served > 0 { 0 } else { 8 };
            }
            Ok(r) => {
                eprintln!("worker {id}: unexpected {:?}", r.message);
                return 5;
            }
            Err(Error::Closed) => return 6,
            Err(e) => {
                eprintln!("worker {id}: {e}");
                return 7;
            }
        }
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let workers = args.first().copied().unwrap_or(3).max(1);
    let clients = args.get(1).copied().unwrap_or(30);
    // SAFETY: alarm() only arms a timer: the whole run is bounded.
    unsafe { libc::alarm(30) };

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local_addr");

    let mut channels = Vec::new();
    let mut pids = Vec::new();
    for id in 0..workers {
        let (master_end, worker_end) = pair().expect("socketpair");
        // SAFETY: no other thread runs yet, so the child may do anything.
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(master_end);
                drop(channels);
                exit(worker(id, worker_end));
            }
            ForkResult::Parent { child } => {
                drop(worker_end);
                channels.push(master_end);
                pids.push(child);
            }
        }
    }

    let client = std::thread::spawn(move || {
        let mut answers = Vec::new();
        for _ in 0..clients {
            let mut s = TcpStream::connect(addr).expect("connect");
            s.write_all(b"hello\n").expect("write");
            let mut answer = String::new();
            s.read_to_string(&mut answer).expect("read");
            answers.push(answer);
        }
        answers
    });

    for i in 0..clients {
        let (conn, _) = listener.accept().expect("accept");
        let ch = &channels[i % workers];
        ch.send_blocking(
            &Message::new(Command::Open, std::process::id() as i32, i as isize),
            Some(conn.as_fd()),
        )
        .expect("hand over a connection");
        // the master's copy closes here; the worker owns the connection
    }
    let answers = client.join().expect("client");

    // "reload": every worker drains what it was handed, then quits
    for (slot, ch) in channels.iter().enumerate() {
        ch.send_blocking(
            &Message::new(Command::Quit, std::process::id() as i32, slot as isize),
            None,
        )
        .expect("QUIT");
    }
    let mut passed = 0;
    let mut failed = 0;
    let mut check = |ok: bool, what: String| {
        if ok {
            passed += 1;
        } else {
            failed += 1;
            println!("FAIL: {what}");
        }
    };
    for pid in &pids {
        let st = waitpid(*pid, None);
        check(
            matches!(st, Ok(WaitStatus::Exited(p, 0)) if p == *pid),
            format!("worker {pid} exited {st:?}"),
        );
    }
    check(
        answers.len() == clients,
        format!("{} answers", answers.len()),
    );
    for w in 0..workers.min(clients) {
        let mine = answers
            .iter()
            .filter(|a| a.starts_with(&format!("served by worker {w} ")))
            .count();
        check(
            mine == clients / workers + usize::from(w < clients % workers),
            format!("worker {w} served {mine}"),
        );
    }
    check(
        answers.iter().all(|a| a.starts_with("served by worker ")),
        "every answer".into(),
    );
    println!("master_worker (Rust, {workers} workers, {clients} clients): {passed} passed, {failed} failed");
    exit(if failed == 0 { 0 } else { 1 });
}
