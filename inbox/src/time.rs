//! Dutch local time for the one time the relay keeps, the hour a tip arrived, and the quarter
//! `stats` counts it in. Written out here (the rules are simple and fixed by EU law) rather
//! than pulling in a time-zone database.

/// A date and hour in the Netherlands (CET/CEST).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalHour {
    /// The year, e.g. 2025.
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    /// 0 to 23.
    pub hour: u32,
}

impl LocalHour {
    /// The Dutch local time of `unix_seconds`, to the hour.
    pub fn from_unix_seconds(unix_seconds: u64) -> Self {
        let seconds = i64::try_from(unix_seconds).unwrap_or(i64::MAX / 2);
        let offset_hours = if is_summer_time(seconds) { 2 } else { 1 };
        let local = seconds + offset_hours * 3600;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        let hour = u32::try_from(local.rem_euclid(86_400) / 3600).expect("below 24");
        Self {
            year,
            month,
            day,
            hour,
        }
    }

    /// The quarter, e.g. `2025-Q1`.
    pub fn quarter(&self) -> String {
        format!("{}-Q{}", self.year, (self.month - 1) / 3 + 1)
    }

    /// The date, e.g. `2025-03-01`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::fmt::Display for LocalHour {
    /// `2025-03-01 14:00`: the hour is all the relay keeps.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} {:02}:00", self.date(), self.hour)
    }
}

/// Whether Dutch summer time (CEST) applies at `unix_seconds`: from 01:00 UTC on the last
/// Sunday of March to 01:00 UTC on the last Sunday of October.
fn is_summer_time(unix_seconds: i64) -> bool {
    let (year, _, _) = civil_from_days(unix_seconds.div_euclid(86_400));
    let starts = last_sunday(year, 3) * 86_400 + 3600;
    let ends = last_sunday(year, 10) * 86_400 + 3600;
    (starts..ends).contains(&unix_seconds)
}

/// The day number (days since 1970-01-01) of the last Sunday of `month` (March or October:
/// both have 31 days).
fn last_sunday(year: i64, month: u32) -> i64 {
    let last_day = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: weekday 4 with Sunday = 0.
    let weekday = (last_day + 4).rem_euclid(7);
    last_day - weekday
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day number (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = u32::try_from(day_of_year - (153 * month_index + 2) / 5 + 1).expect("1..=31");
    let month = u32::try_from(if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    })
    .expect("1..=12");
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The current time as Unix seconds (0 if the clock is before 1970).
pub fn now_unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|duration| duration.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winter_and_summer_hours_in_the_netherlands() {
        // 2025-01-15 12:00 UTC is 13:00 CET.
        assert_eq!(
            LocalHour::from_unix_seconds(1_736_942_400).to_string(),
            "2025-01-15 13:00"
        );
        // 2025-07-01 12:00 UTC is 14:00 CEST.
        assert_eq!(
            LocalHour::from_unix_seconds(1_751_371_200).to_string(),
            "2025-07-01 14:00"
        );
        // Summer time began 2025-03-30 01:00 UTC: 00:00 UTC is 01:00 CET, 01:00 UTC is 03:00.
        assert_eq!(
            LocalHour::from_unix_seconds(1_743_292_800).to_string(),
            "2025-03-30 01:00"
        );
        assert_eq!(
            LocalHour::from_unix_seconds(1_743_296_400).to_string(),
            "2025-03-30 03:00"
        );
        // It ended 2025-10-26 01:00 UTC: that is 02:00 CET.
        assert_eq!(
            LocalHour::from_unix_seconds(1_761_440_400).to_string(),
            "2025-10-26 02:00"
        );
        // New Year's Eve 23:30 UTC is already the next year (and quarter) in Assen.
        let new_year = LocalHour::from_unix_seconds(1_767_223_800);
        assert_eq!(new_year.quarter(), "2026-Q1");
    }

    #[test]
    fn day_numbers_round_trip() {
        for days in [-719_468, -1, 0, 1, 10_957, 20_000, 60_000] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
