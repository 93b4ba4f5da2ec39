//! `/metrics` as the values stood at the last full hour.
//!
//! A monitoring system scrapes every few seconds. Live counts would record each arrival to the
//! second (a tip, a challenge fetched, a refusal), finer than anything the relay stores, so
//! `/metrics` shows a snapshot instead: taken when the clock hour turns (a task looks every
//! second, and a scrape looks too), and the same until the next hour. Two arrivals in one hour
//! change nothing a scraper sees until that hour is over, and then only the hour's total shows.
//! The first snapshot is taken when the relay starts.

use std::sync::Mutex;

use crate::storage::round_down_to_hour;

/// The rendered metrics of one hour.
#[derive(Debug, Default)]
pub struct HourlySnapshot {
    taken: Mutex<Option<Snapshot>>,
}

#[derive(Debug)]
struct Snapshot {
    /// The hour (Unix seconds, rounded down) the snapshot belongs to.
    hour: i64,
    text: String,
}

impl HourlySnapshot {
    /// The snapshot of the hour `now_unix` falls in, taken now with `render` (given that hour)
    /// if that hour has none yet.
    pub fn for_hour_of(&self, now_unix: i64, render: impl FnOnce(i64) -> String) -> String {
        let hour = round_down_to_hour(now_unix);
        let mut taken = self
            .taken
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*taken {
            Some(snapshot) if snapshot.hour == hour => snapshot.text.clone(),
            _ => {
                let text = render(hour);
                *taken = Some(Snapshot {
                    hour,
                    text: text.clone(),
                });
                text
            }
        }
    }
}

/// The clock the snapshots follow: the system's. In a build with the `test-hooks` feature (the
/// package's own tests only), the file named by `FLUISTER_RELAY_TEST_METRICS_CLOCK`, when it
/// exists, holds the Unix time instead, so a test can let an hour pass without waiting for it.
pub fn metrics_now() -> i64 {
    #[cfg(feature = "test-hooks")]
    if let Some(now) = std::env::var_os("FLUISTER_RELAY_TEST_METRICS_CLOCK")
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| text.trim().parse().ok())
    {
        return now;
    }
    crate::storage::now_unix()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_holds_for_its_hour_and_the_next_hour_takes_a_new_one() {
        let snapshots = HourlySnapshot::default();
        let hour = 500_000 * 3600;
        let text = |value: &'static str| move |_| value.to_owned();
        assert_eq!(snapshots.for_hour_of(hour + 10, text("one")), "one");
        assert_eq!(snapshots.for_hour_of(hour + 3599, text("two")), "one");
        assert_eq!(snapshots.for_hour_of(hour + 3600, text("three")), "three");
        assert_eq!(snapshots.for_hour_of(hour + 3601, text("four")), "three");
    }
}
