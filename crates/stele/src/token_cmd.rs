//! `stele token add|list|revoke`: the access tokens of `stele serve` (`[server] tokens_file`).

use std::process::ExitCode;

use clap::Subcommand;
use rand_core::{OsRng, RngCore};

use crate::context::GlobalArgs;
use crate::serve::auth::{hash, Role, TokenEntry, TokensFile};
use crate::UsageError;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it once (only its SHA-256 is kept).
    Add {
        /// Who holds it (shown in the audit log), e.g. `nguyen.van.an`.
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// May read secret (độ mật) records.
        #[arg(long)]
        clearance: bool,
    },
    /// List the tokens: name, role, clearance (never the secrets).
    List,
    /// Remove a token by name: requests with it are refused from the next one on.
    Revoke { name: String },
}

pub fn run(global: &GlobalArgs, cmd: TokenCommand) -> Result<ExitCode, UsageError> {
    // Tokens need only the configuration, not the store.
    let (path, _) = global.config_path();
    let config = stele_archive::config::Config::load(&crate::context::absolute(&path)?)
        .map_err(|e| UsageError(format!("{e} (run `stele init` first)")))?;
    let file_path = config.server.tokens_file.clone();
    let mut file = TokensFile::load(&file_path).map_err(UsageError)?;
    match cmd {
        TokenCommand::Add {
            name,
            role,
            clearance,
        } => {
            let name = name.trim().to_string();
            if name.is_empty()
                || name.len() > 64
                || !name
                    .chars()
                    .all(|c| c.is_alphanumeric() || "._-@".contains(c))
            {
                return Err(UsageError(format!(
                    "`{name}` is not a token name: 1 to 64 letters, digits, `.`, `_`, `-` or `@`"
                )));
            }
            if file.token.iter().any(|t| t.name == name) {
                return Err(UsageError(format!(
                    "a token named {name} exists: revoke it first (`stele token revoke {name}`)"
                )));
            }
            let mut raw = [0u8; 32];
            OsRng.fill_bytes(&mut raw);
            let secret = format!("stl_{}", hex::encode(raw));
            let now = global.clock().now();
            file.token.push(TokenEntry {
                name: name.clone(),
                role,
                clearance,
                sha256: hash(&secret),
                created: Some(crate::fmt_time(now)),
            });
            save(&file_path, &file)?;
            eprintln!(
                "token {name} added ({}{}) to {}; it is shown only now:",
                role.as_str(),
                if clearance { ", with clearance" } else { "" },
                file_path.display()
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            if file.token.is_empty() {
                eprintln!(
                    "no tokens in {}: add one with `stele token add NAME --role reader|archivist|legal|admin`",
                    file_path.display()
                );
            }
            for t in &file.token {
                println!(
                    "{:<24} {:<10} {:<14} {}",
                    t.name,
                    t.role.as_str(),
                    if t.clearance { "clearance" } else { "-" },
                    t.created.as_deref().unwrap_or("")
                );
            }
        }
        TokenCommand::Revoke { name } => {
            let before = file.token.len();
            file.token.retain(|t| t.name != name);
            if file.token.len() == before {
                return Err(UsageError(format!(
                    "no token named {name} in {}",
                    file_path.display()
                )));
            }
            save(&file_path, &file)?;
            eprintln!("token {name} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn save(path: &std::path::Path, file: &TokensFile) -> Result<(), UsageError> {
    let body = toml::to_string(file)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    let out = format!(
        "# Access tokens of `stele serve`, kept as SHA-256 digests: `stele token add|list|revoke`.\n\n{body}"
    );
    stele_archive::write_atomically(path, out.as_bytes())
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}
