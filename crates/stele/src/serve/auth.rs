//! Who is asking: bearer tokens from `[server] tokens_file`, each with a role and a clearance.
//!
//! Only the SHA-256 of each token is kept on disk, so the file does not hand out access if it
//! leaks; `stele token add` prints the secret once. The file is re-read when it changes, so a
//! token added or revoked takes effect without a restart.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use stele_asn1::DigestAlgorithm;
use subtle::ConstantTimeEq;

/// What a role may do. Roles do not imply clearance: reading secret records is a separate grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Search, read records and their files, statistics, renewal status.
    Reader,
    /// A reader who may also upload (ingest).
    Archivist,
    /// A reader who may also verify at any date and export evidence packages.
    Legal,
    /// Everything, including the audit log.
    Admin,
}

/// The things a request may want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    Read,
    Ingest,
    Verify,
    Export,
    AuditLog,
}

impl Role {
    pub fn allows(self, p: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Reader => p == Permission::Read,
            Role::Archivist => matches!(p, Permission::Read | Permission::Ingest),
            Role::Legal => matches!(
                p,
                Permission::Read | Permission::Verify | Permission::Export
            ),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Archivist => "archivist",
            Role::Legal => "legal",
            Role::Admin => "admin",
        }
    }
}

/// One entry of the tokens file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    pub role: Role,
    /// May read secret (độ mật) records.
    #[serde(default)]
    pub clearance: bool,
    /// SHA-256 of the token, hex.
    pub sha256: String,
    #[serde(default)]
    pub created: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensFile {
    #[serde(default)]
    pub token: Vec<TokenEntry>,
}

impl TokensFile {
    /// Reads the file; a missing file is an empty list (nobody can sign in yet).
    pub fn load(path: &Path) -> Result<TokensFile, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TokensFile::default()),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let file: TokensFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        for t in &file.token {
            if t.sha256.len() != 64 || !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "{}: token {}: sha256 must be 64 hex digits",
                    path.display(),
                    t.name
                ));
            }
        }
        Ok(file)
    }

    fn find(&self, secret: &str) -> Option<&TokenEntry> {
        let digest = hash(secret);
        // Compares every entry in full, so timing does not reveal which prefix matched.
        let mut found = None;
        for t in &self.token {
            if bool::from(
                t.sha256
                    .to_ascii_lowercase()
                    .as_bytes()
                    .ct_eq(digest.as_bytes()),
            ) {
                found = Some(t);
            }
        }
        found
    }
}

/// SHA-256 of a token, hex: what the file keeps.
pub fn hash(secret: &str) -> String {
    hex::encode(DigestAlgorithm::Sha256.digest(secret.trim().as_bytes()))
}

/// A signed-in caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub clearance: bool,
}

impl Principal {
    pub fn can(&self, p: Permission) -> bool {
        self.role.allows(p)
    }

    /// How the audit log names this caller.
    pub fn actor(&self) -> String {
        format!("api:{}", self.name)
    }

    pub fn search_clearance(&self) -> stele_index::Clearance {
        if self.clearance {
            stele_index::Clearance::FULL
        } else {
            stele_index::Clearance::PUBLIC
        }
    }
}

/// The tokens file, re-read when it changes.
pub struct Tokens {
    path: PathBuf,
    cached: Mutex<(Option<FileStamp>, TokensFile)>,
}

/// What says the tokens file changed. The modification time alone can miss a revocation written
/// within the clock's resolution of the previous write; `stele token` replaces the file (a new
/// inode), and a revocation also changes its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Tokens {
    pub fn open(path: &Path) -> Result<Tokens, String> {
        let file = TokensFile::load(path)?;
        Ok(Tokens {
            path: path.to_path_buf(),
            cached: Mutex::new((stamp(path), file)),
        })
    }

    pub fn count(&self) -> usize {
        self.cached.lock().map(|c| c.1.token.len()).unwrap_or(0)
    }

    /// The principal a token belongs to, or `None`.
    pub fn authenticate(&self, secret: &str) -> Option<Principal> {
        let mut cached = self.cached.lock().ok()?;
        let now = stamp(&self.path);
        if now != cached.0 {
            match TokensFile::load(&self.path) {
                Ok(f) => *cached = (now, f),
                // A file broken while being edited: keep the tokens known, say why once.
                Err(e) => {
                    eprintln!("warning: tokens file not reloaded: {e}");
                    cached.0 = now;
                }
            }
        }
        cached.1.find(secret).map(|t| Principal {
            name: t.name.clone(),
            role: t.role,
            clearance: t.clearance,
        })
    }
}

fn stamp(path: &Path) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        modified: m.modified().ok(),
        len: m.len(),
        inode: m.ino(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_they_say() {
        assert!(Role::Reader.allows(Permission::Read));
        assert!(!Role::Reader.allows(Permission::Ingest));
        assert!(!Role::Reader.allows(Permission::Export));
        assert!(Role::Archivist.allows(Permission::Ingest));
        assert!(!Role::Archivist.allows(Permission::Verify));
        assert!(Role::Legal.allows(Permission::Export));
        assert!(!Role::Legal.allows(Permission::Ingest));
        assert!(Role::Admin.allows(Permission::AuditLog));
    }

    #[test]
    fn tokens_are_found_by_hash_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        std::fs::write(
            &path,
            format!(
                "[[token]]\nname = \"an\"\nrole = \"legal\"\nsha256 = \"{}\"\n",
                hash("secret-1")
            ),
        )
        .unwrap();
        let tokens = Tokens::open(&path).unwrap();
        let p = tokens.authenticate("secret-1").unwrap();
        assert_eq!(
            (p.name.as_str(), p.role, p.clearance),
            ("an", Role::Legal, false)
        );
        assert!(tokens.authenticate("secret-2").is_none());
        assert!(tokens.authenticate("").is_none());
        // Emptied with the modification time put back: the length still tells.
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, "").unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(before).unwrap();
        assert!(tokens.authenticate("secret-1").is_none(), "revoked");
    }

    #[test]
    fn a_bad_file_is_refused_naming_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.toml");
        std::fs::write(
            &path,
            "[[token]]\nname = \"x\"\nrole = \"god\"\nsha256 = \"00\"\n",
        )
        .unwrap();
        let e = TokensFile::load(&path).unwrap_err();
        assert!(e.contains("tokens.toml"), "{e}");
    }
}
