//! What the timectl end-to-end tests share: running timectl against a lab's timed and reading its
//! JSON. (A sibling module of each test binary that declares `mod support;`; a binary may use
//! only part of it.)
#![allow(dead_code, reason = "shared by several test binaries, each using a part")]

use serde_json::Value;
use std::process::{Command, Output};
use timed_lab::Lab;

/// `timectl --socket <the lab timed's control socket> ARGS`.
pub fn timectl(lab: &Lab, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timectl"))
        .arg("--socket")
        .arg(lab.control_socket())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run timectl: {e}"))
}

/// timectl's stdout as JSON; its stdout and stderr in the panic when it is not.
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}
