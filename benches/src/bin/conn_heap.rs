//! Heap bytes one idle swill connection holds on the server, by allocation
//! size: the tool that found where per-connection memory went (see
//! docs/benchmarks.md).
//!
//! Run with: `cargo run --release -p swill-bench --bin conn_heap`
//!
//! The server runs on its own thread; a counting allocator counts only
//! that thread's allocations, so the client's buffers do not mix in.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

use futures::{SinkExt, StreamExt};
use swill_proto::{Payload, RequestFrame};
use tokio_tungstenite::tungstenite::Message;

const CONNECTIONS: usize = 500;
/// Allocation sizes tracked one by one; larger ones are counted in total only.
const SIZES: usize = 1 << 16;

thread_local!(static ON_SERVER: Cell<bool> = const { Cell::new(false) });
static LIVE: AtomicIsize = AtomicIsize::new(0);
static BY_SIZE: [AtomicIsize; SIZES] = [const { AtomicIsize::new(0) }; SIZES];

fn count(size: usize, sign: isize) {
    // `try_with`: allocations during thread teardown must not panic.
    if ON_SERVER.try_with(Cell::get).unwrap_or(false) {
        LIVE.fetch_add(sign * size as isize, Ordering::Relaxed);
        if let Some(slot) = BY_SIZE.get(size) {
            slot.fetch_add(sign, Ordering::Relaxed);
        }
    }
}

struct Counting;

// SAFETY: every method forwards to the system allocator with the exact
// arguments it received, so `System`'s guarantees hold unchanged; the only
// addition is bookkeeping in atomics and a const-initialised thread local,
// neither of which allocates or re-enters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size(), 1);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(layout.size(), -1);
        // SAFETY: forwarded unchanged; `ptr` came from `System` via `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(layout.size(), -1);
        count(new_size, 1);
        // SAFETY: forwarded unchanged; `ptr` came from `System` via `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    std::thread::spawn(move || {
        ON_SERVER.with(|s| s.set(true));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            swill::serve(listener, swill_examples::demo::app()).await
        })
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let snapshot: Vec<isize> = BY_SIZE.iter().map(|a| a.load(Ordering::Relaxed)).collect();
        let before = LIVE.load(Ordering::Relaxed);
        let mut open = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
                .await
                .map_err(std::io::Error::other)?;
            // One call each, so every connection is fully set up.
            let add =
                RequestFrame::message(1u64, "add", Payload::encode(&(1, 2)).unwrap_or_default());
            ws.send(Message::Binary(add.encode().into()))
                .await
                .map_err(std::io::Error::other)?;
            ws.next().await;
            open.push(ws);
        }
        let per_connection = (LIVE.load(Ordering::Relaxed) - before) / CONNECTIONS as isize;
        println!("server heap per idle connection: {per_connection} bytes");
        let mut rows: Vec<(usize, isize)> = BY_SIZE
            .iter()
            .enumerate()
            .map(|(size, n)| (size, n.load(Ordering::Relaxed) - snapshot[size]))
            .filter(|(_, n)| *n > 0)
            .collect();
        rows.sort_by_key(|(size, n)| -(*size as isize * n));
        for (size, n) in rows.into_iter().take(12) {
            let each = n as f64 / CONNECTIONS as f64;
            println!(
                "  {size:6} bytes x {each:.2} = {:6.0} bytes",
                size as f64 * each
            );
        }
        Ok(())
    })
}
