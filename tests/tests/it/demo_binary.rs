//! The demo binary's command line, as an operator meets it: its help, a
//! bad flag, and logs fit for a file.

use std::process::Stdio;

use swill_tests::cluster::demo_binary;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn help_is_printed_to_standard_output_with_status_0() {
    let out = Command::new(demo_binary())
        .arg("--help")
        .output()
        .await
        .expect("the demo");
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.starts_with("usage: demo"), "{help}");
    assert!(out.stderr.is_empty());
}

#[tokio::test]
async fn an_unknown_flag_prints_the_usage_to_standard_error_with_status_2() {
    let out = Command::new(demo_binary())
        .arg("--frobnicate")
        .output()
        .await
        .expect("the demo");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("usage: demo"));
}

/// A log that is not a terminal (a file, a pipe) gets no colour codes.
#[tokio::test]
async fn logs_written_to_a_pipe_have_no_colour_codes() {
    let mut child = Command::new(demo_binary())
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the demo");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut url = None;
    let read = async {
        while let Some(line) = lines.next_line().await.expect("its output") {
            assert!(!line.contains('\u{1b}'), "{line:?}");
            if let Some(rest) = line.strip_prefix("swill demo listening on ") {
                url = Some(rest.to_owned());
                // A connection makes a log line of its own.
                let client = swill_client::Client::connect(rest).await.expect("connects");
                client.close().await;
            }
            if line.contains("disconnected") {
                return;
            }
        }
    };
    tokio::time::timeout(swill_tests::PATIENCE, read)
        .await
        .expect("a connection's log lines");
    assert!(url.is_some());
}
