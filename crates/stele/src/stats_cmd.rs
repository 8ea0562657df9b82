//! Placeholder until this command is written.

use std::process::ExitCode;

use clap::Args;

use crate::context::GlobalArgs;
use crate::UsageError;

#[derive(Args)]
pub struct StatsArgs {}

pub fn run(_global: &GlobalArgs, _args: StatsArgs) -> Result<ExitCode, UsageError> {
    Err(UsageError("not implemented yet".into()))
}
