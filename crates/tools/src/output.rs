//! Where a tool writes: stdout and stderr in the binary, buffers in tests.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// A tool's two output streams.
pub struct Output {
    /// Standard output (results).
    pub out: Box<dyn Write + Send>,
    /// Standard error (diagnostics, "Processed a total of N messages").
    pub err: Box<dyn Write + Send>,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Output")
    }
}

impl Output {
    /// The process's stdout and stderr.
    pub fn stdio() -> Self {
        Self {
            out: Box::new(std::io::stdout()),
            err: Box::new(std::io::stderr()),
        }
    }

    /// In-memory streams for tests, with handles to read them back.
    pub fn captured() -> (Self, Captured, Captured) {
        let out = Captured::default();
        let err = Captured::default();
        (
            Self {
                out: Box::new(out.clone()),
                err: Box::new(err.clone()),
            },
            out,
            err,
        )
    }
}

/// A shared in-memory buffer implementing `Write`.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
