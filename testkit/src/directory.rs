//! Temporary directories for one test.

use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary directory, removed on drop unless the thread
/// is panicking (a failed test leaves its files, and [`RelayProcess`](crate::RelayProcess) its
/// log, to look at).
#[derive(Debug)]
pub struct TemporaryDirectory {
    path: PathBuf,
}

impl TemporaryDirectory {
    /// Creates `fluister-test-NAME-RANDOM` in the system's temporary directory.
    pub fn new(name: &str) -> TemporaryDirectory {
        Self::new_in(&std::env::temp_dir(), name)
    }

    /// Creates `fluister-test-NAME-RANDOM` inside `parent` (e.g. a RAM disk for a benchmark).
    pub fn new_in(parent: &Path, name: &str) -> TemporaryDirectory {
        let suffix = fluister_protocol::codec::encode_hex(&crate::random_bytes::<8>());
        let path = parent.join(format!("fluister-test-{name}-{suffix}"));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TemporaryDirectory { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside it.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TemporaryDirectory {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for a look: {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
