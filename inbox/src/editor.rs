//! The text editor `reply --editor` opens: the coordinator's own choice (`$VISUAL`, then
//! `$EDITOR`), else the system's plain one: Notepad on Windows, `nano` where it is installed
//! (friendlier than `vi` for someone who is not a developer), and `vi` as the last resort.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitStatus};

/// What the editor choice depends on, so it can be decided (and tested) without the real
/// environment.
#[derive(Clone, Debug, Default)]
pub struct EditorEnvironment {
    /// `$VISUAL`.
    pub visual: Option<String>,
    /// `$EDITOR`.
    pub editor: Option<String>,
    /// Whether this is Windows.
    pub windows: bool,
    /// Whether `nano` is on the `PATH`.
    pub nano_installed: bool,
}

impl EditorEnvironment {
    /// The environment of this process.
    pub fn current() -> Self {
        let set = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        Self {
            visual: set("VISUAL"),
            editor: set("EDITOR"),
            windows: cfg!(windows),
            nano_installed: is_on_path("nano", std::env::var_os("PATH")),
        }
    }

    /// The editor command: `$VISUAL`, else `$EDITOR`, else Notepad on Windows, else `nano` if
    /// it is installed, else `vi`.
    pub fn chosen(&self) -> String {
        if let Some(editor) = self.visual.as_ref().or(self.editor.as_ref()) {
            return editor.trim().to_owned();
        }
        if self.windows {
            "notepad".to_owned()
        } else if self.nano_installed {
            "nano".to_owned()
        } else {
            "vi".to_owned()
        }
    }
}

/// Whether an executable file `program` is in one of the `path` folders.
fn is_on_path(program: &str, path: Option<OsString>) -> bool {
    let Some(path) = path else {
        return false;
    };
    std::env::split_paths(&path).any(|folder| {
        let candidate = folder.join(program);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::metadata(&candidate).is_ok_and(|metadata| {
                metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
            })
        }
        #[cfg(not(unix))]
        {
            candidate.is_file() || candidate.with_extension("exe").is_file()
        }
    })
}

/// Runs `editor` on `file` and waits for it. On Unix through the shell, so a setting with
/// arguments (`code --wait`) works; on Windows the setting is split at spaces.
pub fn run(editor: &str, file: &Path) -> std::io::Result<ExitStatus> {
    if cfg!(windows) {
        let mut words = editor.split_whitespace();
        let program = words.next().unwrap_or("notepad");
        Command::new(program).args(words).arg(file).status()
    } else {
        Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(file)
            .status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coordinators_choice_wins_then_the_systems_plain_editor() {
        let chosen = |visual: Option<&str>, editor: Option<&str>, windows, nano_installed| {
            EditorEnvironment {
                visual: visual.map(str::to_owned),
                editor: editor.map(str::to_owned),
                windows,
                nano_installed,
            }
            .chosen()
        };
        assert_eq!(
            chosen(Some("code --wait"), Some("vim"), false, true),
            "code --wait"
        );
        assert_eq!(chosen(None, Some("vim"), true, true), "vim");
        assert_eq!(chosen(None, None, true, false), "notepad");
        assert_eq!(chosen(None, None, false, true), "nano");
        assert_eq!(chosen(None, None, false, false), "vi");
    }

    #[cfg(unix)]
    #[test]
    fn nano_is_found_only_as_an_executable_on_the_path() {
        use std::os::unix::fs::PermissionsExt as _;
        let folder = std::env::temp_dir().join(format!("fluister-editor-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let nano = folder.join("nano");
        std::fs::write(&nano, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&nano, std::fs::Permissions::from_mode(0o644)).unwrap();
        let path =
            Some(std::env::join_paths([Path::new("/nonexistent"), folder.as_path()]).unwrap());
        assert!(!is_on_path("nano", path.clone()), "not executable");
        std::fs::set_permissions(&nano, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(is_on_path("nano", path));
        assert!(!is_on_path("nano", None));
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
