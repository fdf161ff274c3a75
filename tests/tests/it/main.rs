//! The cross-crate tests, over real sockets on 127.0.0.1.
//!
//! One test binary with a module per concern, not a binary per file: each
//! binary links the whole workspace (a few hundred MB with debug info), and
//! a binary per file filled the disk of a CI machine. Run one concern with
//! `cargo test -p swill-tests -- hooks::`.

mod support;

mod bad_input;
mod cancel;
mod demo_binary;
mod disconnect;
mod errors;
mod handlers;
mod handshake;
mod hooks;
mod introspection;
mod json_encoding;
mod lifecycle;
mod limits;
mod metadata;
mod metrics;
mod protocol_violations;
mod self_documentation;
mod sessions;
mod shapes;
mod spans;
mod spec;
mod static_files;
mod tls;
mod topics;
mod topics_cluster;
mod trace;
mod validation;
mod wire_examples;
