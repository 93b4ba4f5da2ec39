//! The inbox folder: where the identity, the connection settings, the tips and the triage notes
//! live, and the one way files are written into it (atomically, durably, private to the user).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::msg;

/// The environment variable that overrides where the inbox folder is.
pub const HOME_ENVIRONMENT_VARIABLE: &str = "FLUISTER_INBOX_HOME";

/// The systems whose conventions decide where the inbox folder is by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Linux and other Unix systems: the XDG base directories.
    Unix,
    /// Windows: the roaming application data folder.
    Windows,
    /// macOS: the user's Application Support folder.
    MacOs,
}

impl Platform {
    /// The system this program was built for.
    pub fn current() -> Self {
        if cfg!(target_os = "windows") {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Unix
        }
    }
}

/// The paths inside one inbox folder.
#[derive(Clone, Debug)]
pub struct InboxHome {
    root: PathBuf,
}

impl InboxHome {
    /// The inbox folder at `root` (it need not exist yet).
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The default folder, by the conventions of the system the inbox runs on (see
    /// [`Platform`]). `--home` and `FLUISTER_INBOX_HOME` override it.
    pub fn default_root() -> Result<PathBuf> {
        Self::default_root_on(Platform::current(), |name| std::env::var_os(name))
    }

    /// The default folder on `platform`, reading environment variables with `variable`:
    ///
    /// - Linux and other Unix systems: `$XDG_DATA_HOME/fluister-inbox`, else
    ///   `~/.local/share/fluister-inbox` (the XDG base directory convention);
    /// - Windows: `%APPDATA%\Fluister\inbox` (the roaming application data folder);
    /// - macOS: `~/Library/Application Support/Fluister/inbox`.
    pub fn default_root_on(
        platform: Platform,
        variable: impl Fn(&str) -> Option<OsString>,
    ) -> Result<PathBuf> {
        let required = |name: &str| {
            variable(name)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| Error::NotSetUp(msg!("home.unknown", variable = name)))
        };
        match platform {
            Platform::Windows => Ok(PathBuf::from(required("APPDATA")?)
                .join("Fluister")
                .join("inbox")),
            Platform::MacOs => Ok(PathBuf::from(required("HOME")?)
                .join("Library")
                .join("Application Support")
                .join("Fluister")
                .join("inbox")),
            Platform::Unix => {
                if let Some(data_home) = variable("XDG_DATA_HOME").filter(|value| !value.is_empty())
                {
                    return Ok(PathBuf::from(data_home).join("fluister-inbox"));
                }
                Ok(PathBuf::from(required("HOME")?).join(".local/share/fluister-inbox"))
            }
        }
    }

    /// The inbox folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The coordinator's passphrase-protected age identity.
    pub fn identity_path(&self) -> PathBuf {
        self.root.join("identity.age")
    }

    /// The public recipient (`age1…`) of the identity, kept in the clear for `status`.
    pub fn recipient_path(&self) -> PathBuf {
        self.root.join("recipient.txt")
    }

    /// The coordinator's own set of keys (see [`crate::recipients`]): every key the triage book
    /// is sealed to, chosen with `fluister-inbox keys`.
    pub fn recipients_path(&self) -> PathBuf {
        self.root.join("recipients.txt")
    }

    /// The relay address and coordinator token.
    pub fn connection_path(&self) -> PathBuf {
        self.root.join("connection.json")
    }

    /// The region and its municipalities as the relay last listed them (see [`crate::region`]).
    pub fn region_path(&self) -> PathBuf {
        self.root.join("region.json")
    }

    /// The sealed tips, one age file each, exactly as the relay held them.
    pub fn tips_directory(&self) -> PathBuf {
        self.root.join("tips")
    }

    /// Tips that did not open with the coordinator's keys when they were pulled (sealed to
    /// another key, or damaged), kept sealed exactly as the relay held them, without a number.
    pub fn quarantine_directory(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    /// The triage book (status and notes per tip), sealed to every key of the coordinator's own
    /// set ([`InboxHome::recipients_path`]).
    pub fn triage_path(&self) -> PathBuf {
        self.root.join("triage.age")
    }

    /// The sealed summary index (see `app::index`): per stored tip file, the identifiers the
    /// app's tip list filters on, so unlocking the app need not open every tip again.
    pub fn summaries_path(&self) -> PathBuf {
        self.root.join("summaries.age")
    }

    /// The receivers' book: the agencies cases are handed over to (see [`crate::receivers`]).
    pub fn receivers_path(&self) -> PathBuf {
        self.root.join("receivers.json")
    }

    /// The pinned members of the team: their signing keys and names (see [`crate::team`]).
    pub fn team_path(&self) -> PathBuf {
        self.root.join("team.txt")
    }

    /// The team log entries fetched from the relay, sealed, one file each by place.
    pub fn team_log_directory(&self) -> PathBuf {
        self.root.join("team-log")
    }

    /// Own team log entries not yet on the relay.
    pub fn team_outbox_directory(&self) -> PathBuf {
        self.root.join("team-outbox")
    }

    /// The lock that keeps two pulls (or a pull and a triage change) from running at once.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("inbox.lock")
    }

    /// Creates the folder (and its private sub-folders) with owner-only permissions.
    pub fn create_directories(&self) -> Result<()> {
        for directory in [self.root.clone(), self.tips_directory()] {
            create_private_directory(&directory)?;
        }
        Ok(())
    }

    /// Takes the inbox lock, waiting for nobody: fails with advice if another `fluister-inbox`
    /// is busy with this folder. The lock is released when the returned file is dropped, and by
    /// the operating system if the process dies.
    pub fn lock(&self) -> Result<File> {
        self.create_directories()?;
        let path = self.lock_path();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|error| {
                Error::io(msg!("home.lock_unopenable", file = path.display()), error)
            })?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(fs::TryLockError::WouldBlock) => Err(Error::Busy(self.root.clone())),
            Err(fs::TryLockError::Error(error)) => Err(Error::io(
                msg!("home.cannot_lock", folder = self.root.display()),
                error,
            )),
        }
    }
}

/// Removes the `.part` files a killed process left behind in `directory` (what they held is
/// still on the relay).
pub fn remove_leftover_parts(directory: &Path) -> Result<()> {
    let entries = fs::read_dir(directory)
        .map_err(|error| Error::io(msg!("io.cannot_read", file = directory.display()), error))?;
    for entry in entries {
        let path = entry.map_err(Error::UnexplainedIo)?.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "part")
        {
            fs::remove_file(&path).map_err(|error| {
                Error::io(
                    msg!("home.cannot_remove_leftover", file = path.display()),
                    error,
                )
            })?;
        }
    }
    Ok(())
}

/// The name and path of every entry in `directory`; none if the folder does not exist yet.
pub fn directory_entries(directory: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = match fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(Error::io(
                msg!("io.cannot_read", file = directory.display()),
                error,
            ));
        }
    };
    entries
        .map(|entry| {
            let entry = entry.map_err(|error| {
                Error::io(msg!("io.cannot_read", file = directory.display()), error)
            })?;
            Ok((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            ))
        })
        .collect()
}

/// Creates `directory` (and parents) and makes it readable by its owner only: mode 0700 on
/// Unix. Windows has no mode bits: the folder inherits its parent's access list, which in the
/// user's profile (`%APPDATA%`) lets in only that user, administrators and the system.
pub fn create_private_directory(directory: &Path) -> Result<()> {
    fs::create_dir_all(directory).map_err(|error| {
        Error::io(
            msg!("home.cannot_create_folder", folder = directory.display()),
            error,
        )
    })?;
    #[cfg(unix)]
    fs::set_permissions(directory, fs::Permissions::from_mode(0o700)).map_err(|error| {
        Error::io(
            msg!("home.cannot_make_private", folder = directory.display()),
            error,
        )
    })?;
    Ok(())
}

/// Opens a new file for writing that only its owner can read: mode 0600 on Unix; on Windows
/// the file inherits its folder's access list (see [`create_private_directory`]).
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)
}

/// Makes a rename or a new file in `directory` durable.
///
/// On Windows this does nothing: the standard library cannot open a folder to flush it, and,
/// like SQLite there (which flushes files, never folders), the inbox relies on NTFS journaling
/// the rename. The file itself is flushed before the rename; a power cut in the moment after
/// it may still undo the rename there.
pub fn sync_directory(directory: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(directory)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = directory;
    Ok(())
}

/// Creates `path` (owner-only, it must not exist) with `contents` and flushes it to disk; on
/// failure the partial file is removed.
pub fn write_and_flush(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_new_file(path, contents, true)
}

/// Creates `path` (owner-only, it must not exist) with `contents`, flushed to disk when `flush`
/// (otherwise a [`BatchFlush`] of its folder must follow before anything relies on it); on
/// failure the partial file is removed.
pub fn write_new_file(path: &Path, contents: &[u8], flush: bool) -> std::io::Result<()> {
    let mut file = create_private_file(path)?;
    let mut outcome = file.write_all(contents);
    if flush {
        outcome = outcome.and_then(|()| file.sync_all());
    }
    if outcome.is_err() {
        let _ = fs::remove_file(path);
    }
    outcome
}

/// Flushes many new files in one folder at once: one `syncfs` of the folder's file system
/// writes them all (with one journal commit) instead of a flush and a commit per file. Only
/// where that is known to hold: Linux 5.8 or later (older kernels' `syncfs` does not report a
/// failed write-back) on a local file system whose `syncfs` writes through to the disk (ext2/3/4,
/// XFS, Btrfs, tmpfs; not FUSE or network file systems). Elsewhere [`BatchFlush::open`] gives
/// `None`, and each file is flushed as it is written.
#[derive(Debug)]
pub struct BatchFlush {
    /// The folder, opened before the files are written (`syncfs` reports a failed write-back
    /// to a descriptor that was open when it happened, once per descriptor), and whether a
    /// flush has failed. Flushes take turns, and once one fails every later one fails too, so
    /// no caller can go on after a failure another caller was told of.
    #[cfg(target_os = "linux")]
    folder: std::sync::Mutex<(File, bool)>,
}

impl BatchFlush {
    /// Opens `folder` for batch flushes; `None` where they are not available (see above).
    pub fn open(folder: &Path) -> std::io::Result<Option<Self>> {
        #[cfg(target_os = "linux")]
        {
            let folder = File::open(folder)?;
            if !linux::syncfs_reports_failures() || !linux::syncfs_reaches_the_disk(&folder) {
                return Ok(None);
            }
            Ok(Some(Self {
                folder: std::sync::Mutex::new((folder, false)),
            }))
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = folder;
            Ok(None)
        }
    }

    /// Writes every file written in the folder so far (and whatever else is waiting on its file
    /// system) to disk, or reports that a write-back failed, now or in an earlier flush.
    pub fn flush(&self) -> std::io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            let mut guard = self.folder.lock().expect("flush lock");
            let (folder, failed) = &mut *guard;
            if *failed {
                return Err(std::io::Error::other(
                    "an earlier flush of this folder's file system failed",
                ));
            }
            if let Err(error) = rustix::fs::syncfs(&*folder) {
                *failed = true;
                return Err(error.into());
            }
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::File;

    /// Whether the running kernel's `syncfs` reports a failed write-back (Linux 5.8 and later).
    pub(super) fn syncfs_reports_failures() -> bool {
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .and_then(|release| kernel_version(&release))
            .is_some_and(|version| version >= (5, 8))
    }

    /// The major and minor version in a kernel release such as `6.1.0-28-amd64`.
    pub(super) fn kernel_version(release: &str) -> Option<(u32, u32)> {
        let mut numbers = release.trim().split(['.', '-']);
        let major = numbers.next()?.parse().ok()?;
        let minor = numbers.next()?.parse().ok()?;
        Some((major, minor))
    }

    /// Whether `folder` is on a local file system whose `syncfs` writes its files to the disk:
    /// ext2/3/4, XFS, Btrfs or tmpfs (by `statfs`'s magic numbers).
    pub(super) fn syncfs_reaches_the_disk(folder: &File) -> bool {
        const EXT: i128 = 0xEF53;
        const XFS: i128 = 0x5846_5342;
        const BTRFS: i128 = 0x9123_683E;
        const TMPFS: i128 = 0x0102_1994;
        rustix::fs::fstatfs(folder)
            .is_ok_and(|status| matches!(i128::from(status.f_type), EXT | XFS | BTRFS | TMPFS))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn kernel_versions_are_read_from_the_release() {
            assert_eq!(kernel_version("6.1.0-28-amd64\n"), Some((6, 1)));
            assert_eq!(kernel_version("5.8.0"), Some((5, 8)));
            assert_eq!(kernel_version("4.19.0-27-amd64"), Some((4, 19)));
            assert_eq!(kernel_version("5"), None);
            assert_eq!(kernel_version("garbage"), None);
        }

        #[test]
        fn the_temporary_folder_here_is_one_the_batch_flush_trusts_or_not_by_its_type() {
            // /dev/shm is tmpfs wherever it exists; a batch flush there is allowed.
            if let Ok(folder) = File::open("/dev/shm") {
                assert!(syncfs_reaches_the_disk(&folder));
            }
            // /proc is none of the trusted types.
            assert!(!syncfs_reaches_the_disk(&File::open("/proc").unwrap()));
        }
    }
}

/// Writes `contents` to `temporary_path` (owner-only), flushes it to disk, renames it to
/// `final_path` and flushes the folder. A crash at any moment leaves either the old file (or
/// none) or the complete new one at `final_path`, never a partial one. Both paths must be on
/// the same file system; `temporary_path` must not exist.
pub fn write_durably(
    temporary_path: &Path,
    final_path: &Path,
    contents: &[u8],
) -> std::io::Result<()> {
    write_and_flush(temporary_path, contents)?;
    if let Err(error) = fs::rename(temporary_path, final_path) {
        let _ = fs::remove_file(temporary_path);
        return Err(error);
    }
    sync_directory(final_path.parent().unwrap_or(Path::new(".")))
}

/// Replaces `path` atomically with `contents`, owner-only, using a temporary file beside it.
pub fn replace_file(path: &Path, contents: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary_path = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&temporary_path);
    write_durably(&temporary_path, path, contents)
        .map_err(|error| Error::io(msg!("home.cannot_write", file = path.display()), error))
}

/// The Unix permission bits of `path`, or `None` where there are none (Windows, where the
/// folder's access list decides who reads a file; see [`create_private_directory`]).
pub fn permission_bits(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        fs::metadata(path)
            .ok()
            .map(|metadata| metadata.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment holding only `pairs`.
    fn environment(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), OsString::from(value)))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn the_default_folder_follows_each_platforms_convention() {
        let root = |platform, pairs: &[(&str, &str)]| {
            InboxHome::default_root_on(platform, environment(pairs))
        };
        assert_eq!(
            root(Platform::Unix, &[("HOME", "/home/anna")]).unwrap(),
            PathBuf::from("/home/anna/.local/share/fluister-inbox")
        );
        assert_eq!(
            root(
                Platform::Unix,
                &[("HOME", "/home/anna"), ("XDG_DATA_HOME", "/data")]
            )
            .unwrap(),
            PathBuf::from("/data/fluister-inbox")
        );
        let appdata = r"C:\Users\anna\AppData\Roaming";
        assert_eq!(
            root(
                Platform::Windows,
                &[("APPDATA", appdata), ("HOME", "/ignored")]
            )
            .unwrap(),
            PathBuf::from(appdata).join("Fluister").join("inbox")
        );
        assert_eq!(
            root(
                Platform::MacOs,
                &[("HOME", "/Users/anna"), ("XDG_DATA_HOME", "/ignored")]
            )
            .unwrap(),
            PathBuf::from("/Users/anna/Library/Application Support/Fluister/inbox")
        );
        let missing = root(Platform::Windows, &[("HOME", "/home/anna")]).unwrap_err();
        assert!(
            missing.to_string().contains("APPDATA") && missing.to_string().contains("--home"),
            "{missing}"
        );
        assert!(root(Platform::Unix, &[("HOME", "")]).is_err());
    }
}
