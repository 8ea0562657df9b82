//! Placeholder until this command is written.

use std::process::ExitCode;

use clap::Args;

use crate::context::GlobalArgs;
use crate::UsageError;

#[derive(Args)]
pub struct QrArgs {}

pub fn run(_global: &GlobalArgs, _args: QrArgs) -> Result<ExitCode, UsageError> {
    Err(UsageError("not implemented yet".into()))
}
