//! The client's tests against real servers on 127.0.0.1.
//!
//! One test binary with a module per concern (see `tests/tests/it/main.rs`
//! for why). Run one concern with `cargo test -p swill-client -- reconnect::`.

mod common;

mod calls;
mod cancel;
mod cli;
mod legacy;
mod reconnect;
