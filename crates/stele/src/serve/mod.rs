//! `stele serve`: the HTTP API under `/api/v1/` and the web UI, over one archive.

use std::process::ExitCode;

use clap::Args;

use crate::context::GlobalArgs;
use crate::UsageError;

#[derive(Args)]
pub struct ServeArgs {}

pub fn run(_global: &GlobalArgs, _args: ServeArgs) -> Result<ExitCode, UsageError> {
    Err(UsageError("not implemented yet".into()))
}
