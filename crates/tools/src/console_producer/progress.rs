//! `--progress` for `kafka-console-producer.sh`: a fjord addition (Kafka's ConsoleProducer has
//! no progress display). While stdin is a file or a pipe, an indicatif bar on stderr shows
//! records sent and acknowledged, bytes read, the record rate, and — when stdin is a regular
//! file — the percentage of its size consumed.
//!
//! On a terminal the bar redraws in place (indicatif's stderr target). When stderr is not a
//! terminal (a log file, a CI pipe) indicatif would draw nothing, so the same text without the
//! bar is printed as one plain line at most once a second, and the final state always.

use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain progress line is printed when stderr is not a terminal.
const LINE_INTERVAL: Duration = Duration::from_secs(1);
/// How often the bar's message (record counts, rate) is reformatted: per record would cost
/// more than producing the record.
const MESSAGE_INTERVAL: Duration = Duration::from_millis(100);

/// Whether to show progress: only while stdin is a file or a pipe (typing at a terminal needs
/// no bar), and then when `--progress` was given or stderr is a terminal.
pub fn wanted(flag: bool) -> bool {
    !std::io::stdin().is_terminal() && (flag || std::io::stderr().is_terminal())
}

/// The size of stdin when it is a regular file (`< file`), for a percentage; `None` for a pipe.
pub fn stdin_file_size() -> Option<u64> {
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let metadata = std::fs::File::from(fd).metadata().ok()?;
    metadata.is_file().then_some(metadata.len())
}

/// Where progress goes: an indicatif bar on a terminal, plain lines otherwise.
#[derive(Debug)]
enum Display {
    Bar(ProgressBar),
    Lines { last_line: Instant },
}

/// The live progress display of one console-producer run.
#[derive(Debug)]
pub struct Progress {
    display: Display,
    total_bytes: Option<u64>,
    started: Instant,
    last_message: Instant,
    bytes: u64,
    sent: u64,
    acknowledged: u64,
}

impl Progress {
    /// Progress on stderr; `total_bytes` is the input file's size when known.
    pub fn on_stderr(total_bytes: Option<u64>) -> Self {
        let display = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(total_bytes, ProgressDrawTarget::stderr());
            let template = if total_bytes.is_some() {
                "[{elapsed_precise}] [{bar:30}] {percent:>3}% {bytes}/{total_bytes} {msg}"
            } else {
                "[{elapsed_precise}] {bytes} ({bytes_per_sec}) {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            Display::Bar(bar)
        } else {
            Display::Lines {
                last_line: Instant::now(),
            }
        };
        let now = Instant::now();
        let mut progress = Self {
            display,
            total_bytes,
            started: now,
            last_message: now,
            bytes: 0,
            sent: 0,
            acknowledged: 0,
        };
        progress.refresh(false);
        progress
    }

    /// One record of `bytes` input bytes (its line and line ending) was handed to the producer.
    pub fn record_sent(&mut self, bytes: u64) {
        self.sent += 1;
        self.bytes += bytes;
        if let Display::Bar(bar) = &self.display {
            bar.inc(bytes);
        }
        if self.last_message.elapsed() >= MESSAGE_INTERVAL {
            self.refresh(false);
        }
    }

    /// One record's delivery completed (acknowledged or failed).
    pub fn record_acknowledged(&mut self) {
        self.acknowledged += 1;
    }

    /// Draws the final state and ends the line.
    pub fn finish(mut self) {
        self.refresh(true);
        if let Display::Bar(bar) = &self.display {
            bar.finish();
        }
    }

    /// The record counts and rate, as the bar's message and the tail of a plain line.
    pub fn message(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            self.sent as f64 / seconds
        } else {
            0.0
        };
        format!(
            "{} records sent, {} acknowledged, {rate:.1} records/sec",
            self.sent, self.acknowledged
        )
    }

    fn refresh(&mut self, last: bool) {
        self.last_message = Instant::now();
        let message = self.message();
        match &mut self.display {
            Display::Bar(bar) => bar.set_message(message),
            Display::Lines { last_line } => {
                if !last && last_line.elapsed() < LINE_INTERVAL {
                    return;
                }
                *last_line = Instant::now();
                let elapsed = self.started.elapsed().as_secs();
                let clock = format!(
                    "{:02}:{:02}:{:02}",
                    elapsed / 3600,
                    elapsed / 60 % 60,
                    elapsed % 60
                );
                let amount = match self.total_bytes {
                    Some(total) if total > 0 => format!(
                        "{:>3}% {}/{}",
                        self.bytes.saturating_mul(100) / total,
                        HumanBytes(self.bytes),
                        HumanBytes(total)
                    ),
                    _ => format!("{}", HumanBytes(self.bytes)),
                };
                let _ = writeln!(std::io::stderr(), "[{clock}] {amount} {message}");
            }
        }
    }
}
