//! A process-wide `tracing` subscriber that keeps every WARN and ERROR event as text, so the
//! sweep can assert the broker never logged "cannot encode" (the warning
//! `api::handle_frame` emits before closing a connection whose response does not encode).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// The warnings logged so far.
#[derive(Debug, Default)]
pub struct Warnings {
    events: Mutex<Vec<String>>,
}

impl Warnings {
    /// A copy of every warning logged so far, in order.
    pub fn snapshot(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

struct Capture(Arc<Warnings>);

/// Formats an event's fields as `message k=v k=v`.
#[derive(Default)]
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::WARN
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::WARN)
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line::default();
        event.record(&mut line);
        let text = format!(
            "{} {}: {}",
            event.metadata().level(),
            event.metadata().target(),
            line.0
        );
        self.0
            .events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(text);
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// Installs the capturing subscriber as the global default (once per test binary) and returns
/// its warnings.
pub fn install() -> Arc<Warnings> {
    static WARNINGS: OnceLock<Arc<Warnings>> = OnceLock::new();
    WARNINGS
        .get_or_init(|| {
            let warnings = Arc::new(Warnings::default());
            tracing::subscriber::set_global_default(Capture(warnings.clone()))
                .expect("no other global subscriber in this test binary");
            warnings
        })
        .clone()
}
