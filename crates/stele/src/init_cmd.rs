//! `stele init`: a new archive — `stele.toml`, the store folder and, unless TSA URLs are given,
//! the built-in TSA.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use stele_archive::config::{Config, CONFIG_FILE_NAME};
use stele_tsp::LocalTsa;

use crate::context::{absolute, GlobalArgs};
use crate::UsageError;

#[derive(Args)]
pub struct InitArgs {
    /// Folder of the archive: stele.toml, the store (archive/) and the built-in TSA (tsa/).
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Store URL: file:///absolute/path, s3://bucket/prefix, or a path [default: DIR/archive].
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// A time-stamp authority URL (repeatable; tried in order). Without one, a built-in TSA
    /// (not accredited) is created in DIR/tsa.
    #[arg(long = "tsa", value_name = "URL")]
    tsa: Vec<String>,
    /// Root certificates trusted for document signatures: a file or folder (repeatable).
    #[arg(long = "trust", value_name = "PATH")]
    trust: Vec<PathBuf>,
    /// Overwrite an existing stele.toml.
    #[arg(long)]
    force: bool,
}

pub fn run(global: &GlobalArgs, args: InitArgs) -> Result<ExitCode, UsageError> {
    let dir = absolute(&args.dir)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| UsageError(format!("cannot create {}: {e}", dir.display())))?;
    let config_path = dir.join(CONFIG_FILE_NAME);
    if config_path.exists() && !args.force {
        return Err(UsageError(format!(
            "{} exists already: pass --force to overwrite it",
            config_path.display()
        )));
    }
    let mut config = Config::default_for(&dir);
    if let Some(url) = &args.store {
        config.store.url = store_url(url)?;
    }
    for url in &args.tsa {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(UsageError(format!("--tsa `{url}` is not an http(s) URL")));
        }
    }
    for p in &args.trust {
        if !p.exists() {
            return Err(UsageError(format!(
                "--trust {}: no such file or folder",
                p.display()
            )));
        }
        config.signatures.trust.push(absolute(p)?);
    }
    config.tsa.urls = args.tsa.clone();
    config.validate()?;

    let mut notes = Vec::new();
    if args.tsa.is_empty() {
        let tsa_dir = dir.join("tsa");
        if tsa_dir.join("tsa.key").exists() || tsa_dir.join("tsa.pem").exists() {
            LocalTsa::open(&tsa_dir, global.clock()).map_err(|e| {
                UsageError(format!(
                    "{} holds a TSA that cannot be opened ({e}); move it away or pass --tsa URL",
                    tsa_dir.display()
                ))
            })?;
            notes.push(format!(
                "kept the built-in TSA already in {}",
                tsa_dir.display()
            ));
        } else {
            let now = global.clock().now();
            crate::tsa_cmd::init(
                &tsa_dir,
                "Stele built-in TSA",
                now,
                now + time::Duration::days(3 * 365),
                None,
                now,
            )?;
        }
        config.tsa.builtin = Some(tsa_dir.clone());
        config.tsa.trust.push(tsa_dir.join("root.pem"));
        notes.push(
            "the built-in TSA is for testing and embedded use; it is not an accredited TSA: \
             for legal evidence set [tsa] urls to a qualified TSA and list its root in [tsa] trust"
                .into(),
        );
    } else {
        notes.push(
            "list the roots of your TSAs in [tsa] trust so archive timestamps can be verified"
                .into(),
        );
    }
    if let Some(path) = config.store.url.strip_prefix("file://") {
        std::fs::create_dir_all(path)
            .map_err(|e| UsageError(format!("cannot create the store folder {path}: {e}")))?;
    }
    if config.signatures.trust.is_empty() {
        notes.push(
            "no trust anchors given: add root certificates to [signatures] trust (or rerun with \
             --trust), or every signature will be INDETERMINATE"
                .into(),
        );
    }
    stele_archive::write_atomically(&config_path, config.to_documented_toml().as_bytes())
        .map_err(|e| UsageError(format!("cannot write {}: {e}", config_path.display())))?;

    println!("wrote {}", config_path.display());
    println!("  store: {}", config.store.url);
    match (&config.tsa.builtin, config.tsa.urls.as_slice()) {
        (Some(b), _) => println!("  time-stamp authority: built-in, {}", b.display()),
        (None, urls) => println!("  time-stamp authorities: {}", urls.join(", ")),
    }
    for n in notes {
        println!("note: {n}");
    }
    let here = std::env::current_dir().ok();
    let cd = if here.as_deref() == Some(dir.as_path()) {
        String::new()
    } else {
        format!("cd {} && ", shell_word(&dir))
    };
    println!("next: {cd}stele ingest --recursive FOLDER --meta METADATA.json");
    Ok(ExitCode::SUCCESS)
}

/// `--store`: URLs as given; a path made absolute as a file:// URL.
fn store_url(url: &str) -> Result<String, UsageError> {
    if url.starts_with("s3://") || url.starts_with("file://") {
        return Ok(url.to_string());
    }
    if url.contains("://") {
        return Err(UsageError(format!(
            "--store `{url}`: only file:// and s3:// stores are supported"
        )));
    }
    let path = absolute(Path::new(url))?;
    Ok(format!("file://{}", path.display()))
}

fn shell_word(p: &Path) -> String {
    let s = p.display().to_string();
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
