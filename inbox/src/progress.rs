//! A one-line progress bar on standard error for long pulls, drawn only on a terminal, and the
//! same counts for another thread to read (the app's pull page).

use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts finished items and redraws the bar at most ten times a second.
#[derive(Debug)]
pub struct Progress {
    label: String,
    total: usize,
    done: AtomicUsize,
    enabled: bool,
    last_drawn: Mutex<Option<Instant>>,
    watch: Option<Arc<Watch>>,
}

/// How far a long piece of work is, for another thread to read while it runs.
#[derive(Debug, Default)]
pub struct Watch {
    done: AtomicUsize,
    total: AtomicUsize,
}

impl Watch {
    /// How many items are done, of how many.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

impl Progress {
    /// A bar for `total` items; drawn only when standard error is a terminal and there is more
    /// than a handful to do.
    pub fn new(label: &str, total: usize) -> Self {
        Self {
            label: label.to_owned(),
            total,
            done: AtomicUsize::new(0),
            enabled: total >= 20 && std::io::stderr().is_terminal(),
            last_drawn: Mutex::new(None),
            watch: None,
        }
    }

    /// The same, also counted in `watch` (which starts again from zero), when there is one.
    pub fn watched(label: &str, total: usize, watch: Option<&Arc<Watch>>) -> Self {
        if let Some(watch) = watch {
            watch.done.store(0, Ordering::Relaxed);
            watch.total.store(total, Ordering::Relaxed);
        }
        // Watched from elsewhere (the app's page), it draws nothing on the terminal.
        Self {
            watch: watch.cloned(),
            enabled: watch.is_none() && total >= 20 && std::io::stderr().is_terminal(),
            ..Self::new(label, total)
        }
    }

    /// Marks one more item done.
    pub fn advance(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(watch) = &self.watch {
            watch.done.store(done, Ordering::Relaxed);
        }
        if !self.enabled {
            return;
        }
        let mut last_drawn = self
            .last_drawn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let now = Instant::now();
        if last_drawn.is_some_and(|last| now - last < Duration::from_millis(100))
            && done < self.total
        {
            return;
        }
        *last_drawn = Some(now);
        self.draw(done);
    }

    fn draw(&self, done: usize) {
        const WIDTH: usize = 30;
        let filled = (done * WIDTH)
            .checked_div(self.total)
            .unwrap_or(WIDTH)
            .min(WIDTH);
        let mut standard_error = std::io::stderr().lock();
        let _ = write!(
            standard_error,
            "\r{} [{}{}] {done}/{}",
            self.label,
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            self.total
        );
        let _ = standard_error.flush();
    }

    /// Ends the bar's line.
    pub fn finish(&self) {
        if self.enabled {
            self.draw(self.done.load(Ordering::Relaxed));
            eprintln!();
        }
    }
}
