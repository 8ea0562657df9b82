//! Placeholder until this command is written.

use std::process::ExitCode;

use clap::Subcommand;

use crate::context::GlobalArgs;
use crate::UsageError;

#[derive(Subcommand)]
pub enum AuditLogCommand {
    /// Not written yet.
    Todo,
}

pub fn run(_global: &GlobalArgs, _cmd: AuditLogCommand) -> Result<ExitCode, UsageError> {
    Err(UsageError("not implemented yet".into()))
}
