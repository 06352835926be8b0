//! `process.terminal`: the pty fields of a process (`encode`), the console socket
//! and the pty master that comes over it (`console`), and the relay between the
//! caller's terminal and the master for a foreground `run`/`exec` (`relay`).
//! docs/terminal.md.

mod console;
pub mod relay;

pub use console::{prepare, recv_master, Console};

use wire::{tag, Encoder, Sink, WireError};

/// The process fields of a terminal (none without one).
pub fn encode<S: Sink>(
    e: &mut Encoder<S>,
    terminal: bool,
    size: Option<(u32, u32)>,
) -> Result<(), WireError> {
    if !terminal {
        return Ok(());
    }
    e.flag(tag::TERMINAL, true)?;
    if let Some((rows, cols)) = size {
        e.u32(tag::CONSOLE_HEIGHT, rows)?;
        e.u32(tag::CONSOLE_WIDTH, cols)?;
    }
    Ok(())
}
