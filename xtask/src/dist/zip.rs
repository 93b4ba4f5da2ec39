//! A ZIP archive of stored (uncompressed) entries, written out here so that xtask keeps no
//! dependencies and the Windows archive needs no `zip` on the machine (Debian has none by
//! default). Every entry gets the same fixed time, so the same files make the same archive.

/// One entry of the archive: a folder (its name ends in `/`, no contents) or a file.
#[derive(Debug)]
pub struct Entry {
    /// The path inside the archive, with `/` between folders.
    pub name: String,
    /// The file's bytes (empty for a folder).
    pub contents: Vec<u8>,
}

/// The archive holding `entries` in the order given, each stamped with `unix_seconds` (UTC).
pub fn archive(entries: &[Entry], unix_seconds: u64) -> Result<Vec<u8>, String> {
    let (date, time) = dos_date_time(unix_seconds);
    let too_large = || "the archive is too large for a ZIP file without ZIP64".to_owned();
    let mut output = Vec::new();
    let mut central_directory = Vec::new();
    for entry in entries {
        let is_folder = entry.name.ends_with('/');
        let name = entry.name.as_bytes();
        let name_length = u16::try_from(name.len()).map_err(|_| too_large())?;
        let size = u32::try_from(entry.contents.len()).map_err(|_| too_large())?;
        let offset = u32::try_from(output.len()).map_err(|_| too_large())?;
        let checksum = crc32(&entry.contents);
        // Version 1.0 extracts a stored file; a folder needs 2.0.
        let version_needed: u16 = if is_folder { 20 } else { 10 };
        // The fields local and central headers share, from "version needed" to the name's
        // length: no flags (the names are ASCII), method 0 (stored).
        let mut shared = Vec::new();
        for field in [version_needed, 0, 0, time, date] {
            shared.extend_from_slice(&field.to_le_bytes());
        }
        for field in [checksum, size, size] {
            shared.extend_from_slice(&field.to_le_bytes());
        }
        shared.extend_from_slice(&name_length.to_le_bytes());

        output.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        output.extend_from_slice(&shared);
        output.extend_from_slice(&0u16.to_le_bytes()); // no extra field
        output.extend_from_slice(name);
        output.extend_from_slice(&entry.contents);

        central_directory.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        // Made by: MS-DOS attributes (host 0), ZIP 2.0.
        central_directory.extend_from_slice(&20u16.to_le_bytes());
        central_directory.extend_from_slice(&shared);
        // No extra field or comment; disk 0; no internal attributes.
        for field in [0u16, 0, 0, 0] {
            central_directory.extend_from_slice(&field.to_le_bytes());
        }
        // External attributes: the MS-DOS folder bit for a folder, nothing for a file.
        let attributes: u32 = if is_folder { 0x10 } else { 0 };
        central_directory.extend_from_slice(&attributes.to_le_bytes());
        central_directory.extend_from_slice(&offset.to_le_bytes());
        central_directory.extend_from_slice(name);
    }
    let entry_count = u16::try_from(entries.len()).map_err(|_| too_large())?;
    let directory_offset = u32::try_from(output.len()).map_err(|_| too_large())?;
    let directory_size = u32::try_from(central_directory.len()).map_err(|_| too_large())?;
    output.extend_from_slice(&central_directory);
    // End of central directory: one disk, no comment.
    output.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
    for field in [0u16, 0, entry_count, entry_count] {
        output.extend_from_slice(&field.to_le_bytes());
    }
    output.extend_from_slice(&directory_size.to_le_bytes());
    output.extend_from_slice(&directory_offset.to_le_bytes());
    output.extend_from_slice(&0u16.to_le_bytes());
    Ok(output)
}

/// The CRC-32 (ISO-HDLC, the one ZIP and gzip use) of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    const fn table() -> [u32; 256] {
        let mut table = [0u32; 256];
        let mut index = 0;
        while index < 256 {
            let mut value = index as u32;
            let mut bit = 0;
            while bit < 8 {
                value = if value & 1 == 1 {
                    (value >> 1) ^ 0xedb8_8320
                } else {
                    value >> 1
                };
                bit += 1;
            }
            table[index] = value;
            index += 1;
        }
        table
    }
    const TABLE: [u32; 256] = table();
    let mut crc = u32::MAX;
    for &byte in data {
        crc = (crc >> 8) ^ TABLE[usize::from((crc as u8) ^ byte)];
    }
    !crc
}

/// The MS-DOS date and time ZIP stores for `unix_seconds` (UTC): two-second steps, years from
/// 1980 to 2107 (earlier and later times are clamped to those years).
pub fn dos_date_time(unix_seconds: u64) -> (u16, u16) {
    let days = i64::try_from(unix_seconds / 86_400).unwrap_or(i64::MAX / 2);
    let seconds_of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    if year < 1980 {
        return ((1 << 5) | 1, 0);
    }
    if year > 2107 {
        return ((127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29);
    }
    let date = (((year - 1980) as u16) << 9) | ((month as u16) << 5) | day as u16;
    let hour = (seconds_of_day / 3600) as u16;
    let minute = (seconds_of_day / 60 % 60) as u16;
    let second = (seconds_of_day % 60) as u16;
    (date, (hour << 11) | (minute << 5) | (second / 2))
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::{Entry, archive, crc32, dos_date_time};

    #[test]
    fn crc32_check_value() {
        // The catalogue's check value for CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn dos_times() {
        // 2024-02-29 13:45:31 UTC: a leap day, and an odd second rounded down.
        assert_eq!(dos_date_time(1_709_214_331), (22_621, 28_079));
        // 2026-01-01 00:00:00 UTC.
        assert_eq!(dos_date_time(1_767_225_600), (23_585, 0));
        // Before 1980: the earliest time ZIP has.
        assert_eq!(dos_date_time(0), (33, 0));
    }

    fn u16_at(bytes: &[u8], offset: usize) -> usize {
        usize::from(u16::from_le_bytes([bytes[offset], bytes[offset + 1]]))
    }

    fn u32_at(bytes: &[u8], offset: usize) -> u32 {
        u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap())
    }

    /// Reads the archive back the way an unzipper does (end record, central directory, local
    /// headers) and finds every entry's name, time, CRC and bytes where they belong.
    #[test]
    fn an_unzipper_finds_every_entry() {
        let entries = vec![
            Entry {
                name: "folder/".into(),
                contents: Vec::new(),
            },
            Entry {
                name: "folder/LEESMIJ.txt".into(),
                contents: b"Hallo\r\n".to_vec(),
            },
            Entry {
                name: "folder/program.exe".into(),
                contents: (0..=255u8).cycle().take(70_000).collect(),
            },
        ];
        let bytes = archive(&entries, 1_767_225_600).unwrap();
        let end = bytes.len() - 22;
        assert_eq!(u32_at(&bytes, end), 0x0605_4b50);
        assert_eq!(u16_at(&bytes, end + 10), entries.len());
        let directory_size = u32_at(&bytes, end + 12) as usize;
        let mut header = u32_at(&bytes, end + 16) as usize;
        assert_eq!(header + directory_size, end);
        for entry in &entries {
            assert_eq!(u32_at(&bytes, header), 0x0201_4b50);
            assert_eq!(u16_at(&bytes, header + 10), 0, "stored");
            assert_eq!(u16_at(&bytes, header + 14), 23_585, "date");
            assert_eq!(u32_at(&bytes, header + 16), crc32(&entry.contents));
            let name_length = u16_at(&bytes, header + 28);
            assert_eq!(
                &bytes[header + 46..header + 46 + name_length],
                entry.name.as_bytes()
            );
            let local = u32_at(&bytes, header + 42) as usize;
            assert_eq!(u32_at(&bytes, local), 0x0403_4b50);
            assert_eq!(u32_at(&bytes, local + 14), crc32(&entry.contents));
            let size = u32_at(&bytes, local + 22) as usize;
            let data = local + 30 + u16_at(&bytes, local + 26) + u16_at(&bytes, local + 28);
            assert_eq!(&bytes[data..data + size], entry.contents.as_slice());
            header += 46 + name_length;
        }
        assert_eq!(header, end);
    }
}
