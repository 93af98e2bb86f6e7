//! The console's persistent state: users, alert rules and alert history in one JSON file
//! (`<data dir>/console.json` standalone, `<first log dir>/fjord-console.json` embedded),
//! replaced atomically (write a temp file, fsync, rename, fsync
//! the directory) so a crash leaves the old or the new state, never a torn one.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::alerts::{AlertEvent, AlertRule};
use crate::error::ConsoleError;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May change the cluster and the console.
    Admin,
    /// May only look (GET).
    Viewer,
}

impl Role {
    /// The role's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Viewer => "viewer",
        }
    }
}

/// A console user; the password is kept only as an argon2 PHC string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC hash of the password.
    pub password_hash: String,
}

/// Everything the console keeps across restarts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsoleState {
    /// Users.
    #[serde(default)]
    pub users: Vec<User>,
    /// Alert rules.
    #[serde(default)]
    pub alert_rules: Vec<AlertRule>,
    /// Alert history, oldest first, at most [`ALERT_HISTORY_MAX`] events.
    #[serde(default)]
    pub alert_history: Vec<AlertEvent>,
    /// Next alert rule id.
    #[serde(default)]
    pub next_rule_id: u64,
}

/// Alert events kept in the history; older ones are dropped.
pub const ALERT_HISTORY_MAX: usize = 500;

/// The state file of a data directory.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file at `path`.
    pub fn at(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the state; a missing file is the empty state.
    pub fn load(&self) -> Result<ConsoleState, ConsoleError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| ConsoleError::StateCorrupt {
                    path: self.path.clone(),
                    source,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConsoleState::default()),
            Err(source) => Err(self.io(source)),
        }
    }

    /// Replaces the state atomically (temp file + fsync + rename + directory fsync).
    pub fn save(&self, state: &ConsoleState) -> Result<(), ConsoleError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        let bytes =
            serde_json::to_vec_pretty(state).map_err(|source| ConsoleError::StateCorrupt {
                path: self.path.clone(),
                source,
            })?;
        let temp = self.path.with_extension("json.tmp");
        {
            let mut file = std::fs::File::create(&temp).map_err(|e| self.io(e))?;
            file.write_all(&bytes).map_err(|e| self.io(e))?;
            file.sync_all().map_err(|e| self.io(e))?;
        }
        std::fs::rename(&temp, &self.path).map_err(|e| self.io(e))?;
        if let Ok(dir_file) = std::fs::File::open(dir) {
            // A directory fsync makes the rename durable; some filesystems refuse it, and the
            // new content is already safe in the file itself.
            let _ = dir_file.sync_all();
        }
        Ok(())
    }

    fn io(&self, source: std::io::Error) -> ConsoleError {
        ConsoleError::State {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::at(&dir.path().join("sub").join("console.json"));
        assert_eq!(file.load().unwrap(), ConsoleState::default());
        let state = ConsoleState {
            users: vec![User {
                name: "ann".into(),
                role: Role::Viewer,
                password_hash: "$argon2id$x".into(),
            }],
            next_rule_id: 3,
            ..ConsoleState::default()
        };
        file.save(&state).unwrap();
        assert_eq!(file.load().unwrap(), state);
        assert!(!file.path().with_extension("json.tmp").exists());
    }

    #[test]
    fn corrupt_file_is_a_named_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::at(&dir.path().join("console.json"));
        std::fs::write(file.path(), b"{not json").unwrap();
        let error = file.load().unwrap_err();
        assert!(matches!(error, ConsoleError::StateCorrupt { .. }));
        assert!(error.to_string().contains("console.json"));
    }
}
