//! Starts the configured PPS input: the kernel reader on its own thread, or a datagram socket
//! receiving simulated edges from `timed-sim` (labelled as simulation in logs and status).

use crate::clock::Clock;
use crate::config::{Pps, PpsSource};
use crate::pps::reader::{self, PpsEvent, PpsStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use timed_core::epoch::RxStamp;
use timed_core::pps::decode_sim_edge;
use tokio::sync::mpsc;

/// A PPS event and the moment timed got it (FETCH returned / datagram received; both clocks),
/// which places the edge on the raw clock for the engine and gives the edge-to-datagram latency.
pub type Stamped = (PpsEvent, RxStamp);

/// Stops the input when dropped.
pub struct Guard {
    stop: Arc<AtomicBool>,
}

impl Guard {
    /// The flag that stops the input threads (shared with the serial thread).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub fn start(cfg: &Pps, tx: mpsc::Sender<Stamped>) -> Guard {
    let stop = Arc::new(AtomicBool::new(false));
    match cfg.source {
        PpsSource::Kernel => {
            let path = cfg.device.clone();
            let stop2 = stop.clone();
            let spawned = std::thread::Builder::new().name("pps".into()).spawn(move || {
                reader::run(path, stop2, move |ev| {
                    let _ = tx.blocking_send((ev, Clock.now()));
                })
            });
            if let Err(e) = spawned {
                tracing::error!("cannot start the PPS reader thread: {e}");
            }
        }
        PpsSource::Simulated => {
            tokio::spawn(simulated(cfg.sim_socket.clone(), tx, stop.clone()));
        }
        PpsSource::Off => {}
    }
    Guard { stop }
}

async fn simulated(path: std::path::PathBuf, tx: mpsc::Sender<Stamped>, stop: Arc<AtomicBool>) {
    // A stale socket file from a previous run would make bind fail; nothing else is removed.
    let bound = crate::socket_file::clear_stale(&path, "[pps] sim_socket")
        .and_then(|()| tokio::net::UnixDatagram::bind(&path).map_err(|e| format!("cannot bind: {e}")));
    let sock = match bound {
        Ok(s) => s,
        Err(e) => {
            let error = format!("simulated PPS socket {}: {e}", path.display());
            let _ = tx.send((PpsEvent::Status(PpsStatus::Absent { error }), Clock.now())).await;
            return;
        }
    };
    let _ = tx.send((PpsEvent::Status(PpsStatus::Opened { path: path.clone(), caps: 0 }), Clock.now())).await;
    let mut buf = [0u8; 64];
    while !stop.load(Ordering::Relaxed) {
        match sock.recv(&mut buf).await {
            Ok(n) => {
                if let Some(edge) = decode_sim_edge(&buf[..n]) {
                    if tx.send((PpsEvent::Edge(edge), Clock.now())).await.is_err() {
                        break;
                    }
                }
            }
            Err(e) => {
                let error = format!("simulated PPS socket {}: {e}", path.display());
                let _ = tx.send((PpsEvent::Status(PpsStatus::Lost { error }), Clock.now())).await;
                break;
            }
        }
    }
    crate::socket_file::remove_own(&path);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A regular file at `sim_socket` is a configuration mistake: it stays, and PPS is reported
    /// absent with a message naming the path and what is there.
    #[tokio::test]
    async fn a_file_at_the_sim_socket_is_kept_and_reported() {
        let dir = timed_lab::Scratch::new("timed-pps-input").unwrap();
        let file = dir.join("notes.txt");
        std::fs::write(&file, "not a socket").unwrap();
        let cfg = Pps { source: PpsSource::Simulated, device: "".into(), sim_socket: file.clone() };
        let (tx, mut rx) = mpsc::channel(4);
        let _guard = start(&cfg, tx);
        let ev = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await;
        let Ok(Some((PpsEvent::Status(PpsStatus::Absent { error }), _))) = ev else {
            panic!("expected PPS absent, got {ev:?}");
        };
        assert!(error.contains(&file.display().to_string()), "{error}");
        assert!(error.contains("is a regular file, not a socket"), "{error}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a socket");
    }
}
