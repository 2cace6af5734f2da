//! The write side of the receiver's port, for the set-up (`crate::setup`): its own thread, so
//! neither a write nor the drain before a change of speed (up to a tenth of a second at 9600
//! baud) ever holds up the event loop that pairs PPS edges, and the reader goes on reading
//! throughout. It writes through a second handle on the port the reader opened (a dup of the
//! descriptor: the same tty, TIOCEXCL and all), so it never opens the device itself.

use super::Shared;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};

/// What the writer does, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortCommand {
    /// Write these bytes (a UBX frame).
    Send(Vec<u8>),
    /// Let what was written leave the line, then switch the port to this speed.
    SetBaud(u32),
}

/// The handle the event loop holds: commands go to the writer thread, which ends when every
/// handle is dropped.
#[derive(Clone)]
pub struct Port {
    tx: mpsc::Sender<PortCommand>,
    shared: Arc<Shared>,
}

impl Port {
    /// Queues a command; `false` once the writer thread is gone.
    pub fn command(&self, c: PortCommand) -> bool {
        self.tx.send(c).is_ok()
    }

    /// The speed the port runs at now (changed by [`PortCommand::SetBaud`] once carried out;
    /// the reader reopens at it after a loss).
    pub fn baud(&self) -> u32 {
        self.shared.baud.load(Ordering::Relaxed)
    }
}

pub(super) fn spawn(shared: Arc<Shared>) -> std::io::Result<Port> {
    let (tx, rx) = mpsc::channel::<PortCommand>();
    let mine = shared.clone();
    std::thread::Builder::new().name("serial-writer".into()).spawn(move || {
        for c in rx {
            carry_out(&mine, c);
        }
    })?;
    Ok(Port { tx, shared })
}

/// Failures are not reported here: the set-up session sees a write that never arrived as a
/// missing acknowledgement and names the item; a port that failed is the reader's to report.
fn carry_out(shared: &Shared, c: PortCommand) {
    let Ok(mut slot) = shared.writer.lock() else { return };
    match c {
        PortCommand::Send(bytes) => {
            if let Some(port) = slot.as_mut() {
                if let Err(e) = std::io::Write::write_all(port, &bytes) {
                    tracing::debug!("receiver port write failed: {e}");
                }
            }
        }
        PortCommand::SetBaud(baud) => {
            if let Some(port) = slot.as_mut() {
                // tcdrain: a speed change while bytes are still going out garbles their end.
                let _ = std::io::Write::flush(port);
                if let Err(e) = port.set_baud_rate(baud) {
                    tracing::debug!(baud, "receiver port speed change failed: {e}");
                    return;
                }
            }
            shared.baud.store(baud, Ordering::Relaxed);
        }
    }
}
