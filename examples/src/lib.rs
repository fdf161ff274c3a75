//! Runnable swill programs. The demo's handlers live here so that tests and
//! benchmarks can serve exactly what `cargo run -p swill-examples --bin demo`
//! serves.

pub mod demo;
