//! PDFs made and judged by peers: fpdf2 writes a Vietnamese document with a real text layer,
//! pyHanko signs it (PAdES, CLI `pyhanko sign addsig`) and validates it (`pyhanko sign validate`).
//! `.ci/run` installs both into a virtual environment and exports `STELE_PYHANKO` and
//! `STELE_PYTHON`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use super::{Cert, KeyKind, TestPki};
use crate::describe;

/// The font fpdf2 embeds (Debian `fonts-dejavu-core`).
pub const DEJAVU_SANS: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// The text [`Pyhanko::vietnamese_pdf`] puts on page 1 as its title, for text-extraction checks.
pub const VIETNAMESE_TITLE: &str = "Quyết định về việc phê duyệt chữ ký số";

/// pyHanko and the Python beside it (fpdf2 installed), found by [`pyhanko`].
#[derive(Debug)]
pub struct Pyhanko {
    /// The `pyhanko` command.
    pub pyhanko: PathBuf,
    /// The Python of the same virtual environment.
    pub python: PathBuf,
    /// What `pyhanko --version` printed, e.g. `pyHanko, version 0.32.0 (CLI 0.2.1)`.
    pub version: String,
}

/// pyHanko, from `STELE_PYHANKO`/`STELE_PYTHON` or else the virtual environment `.ci/run` makes
/// (`$HOME/.cache/stele-peers/venv`). `None` after printing why, so a test can skip; but when the
/// `CI` environment variable is set, or `STELE_PYHANKO` names something that does not work, a
/// missing peer is a failure, not a skip.
pub fn pyhanko() -> Option<&'static Pyhanko> {
    static FOUND: OnceLock<Result<Pyhanko, String>> = OnceLock::new();
    match FOUND.get_or_init(find_pyhanko) {
        Ok(found) => Some(found),
        Err(why) => {
            let explicit = std::env::var_os("STELE_PYHANKO").is_some_and(|v| !v.is_empty());
            assert!(
                !in_ci() && !explicit,
                "pyHanko is required here (CI or STELE_PYHANKO is set) but {why}"
            );
            eprintln!(
                "skipped: {why} (bash .ci/run installs it; or set STELE_PYHANKO and STELE_PYTHON)"
            );
            None
        }
    }
}

/// Whether the `CI` environment variable is set (and not `false` or `0`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn find_pyhanko() -> Result<Pyhanko, String> {
    let venv = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/stele-peers/venv/bin"))
        .unwrap_or_default();
    let from_env = |var: &str, default: PathBuf| match std::env::var_os(var) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => default,
    };
    let pyhanko = from_env("STELE_PYHANKO", venv.join("pyhanko"));
    let python = from_env("STELE_PYTHON", venv.join("python"));
    let version = match Command::new(&pyhanko).arg("--version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        Ok(out) => {
            return Err(format!(
                "{} --version failed:\n{}",
                pyhanko.display(),
                describe(&out)
            ))
        }
        Err(e) => return Err(format!("pyHanko not found at {} ({e})", pyhanko.display())),
    };
    match Command::new(&python)
        .args(["-c", "import fpdf, pyhanko"])
        .output()
    {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return Err(format!(
                "{} cannot import fpdf and pyhanko:\n{}",
                python.display(),
                describe(&out)
            ))
        }
        Err(e) => return Err(format!("no Python at {} ({e})", python.display())),
    }
    if !Path::new(DEJAVU_SANS).is_file() {
        return Err(format!(
            "{DEJAVU_SANS} missing (apt-get install fonts-dejavu-core)"
        ));
    }
    Ok(Pyhanko {
        pyhanko,
        python,
        version,
    })
}

/// The PDFs [`Pyhanko::signed_pdfs`] makes, all from one unsigned document.
#[derive(Clone, Debug)]
pub struct SignedPdfs {
    /// The unsigned two-page Vietnamese document ([`Pyhanko::vietnamese_pdf`]).
    pub unsigned: PathBuf,
    /// Signed by `leader` into field `Sig1`.
    pub leader: PathBuf,
    /// `leader`, then signed by `agency` into field `Sig2` in an incremental update: the usual
    /// Vietnamese official document.
    pub leader_agency: PathBuf,
    /// `leader_agency` plus an incremental update that replaces page 1's content stream (covers
    /// the top of the page): both signatures still verify over their revisions.
    pub modified_after_signing: PathBuf,
    /// Signed by `expired` (after its certificate ended).
    pub expired: PathBuf,
    /// Signed by `revoked` (after its revocation).
    pub revoked: PathBuf,
    /// Whether the signatures carry a signature timestamp (PAdES B-T).
    pub timestamped: bool,
}

impl Pyhanko {
    fn run(&self, program: &Path, args: &[&std::ffi::OsStr], cwd: &Path) -> Output {
        Command::new(program)
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", program.display()))
    }

    fn script(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("peers")
            .join(name)
    }

    /// Writes a two-page A4 PDF with Vietnamese text ([`VIETNAMESE_TITLE`], the decision's
    /// articles, the signer's name) in DejaVu Sans, embedded with a ToUnicode map, so its text
    /// extracts. The bytes are the same every time (fixed dates and ID).
    pub fn vietnamese_pdf(&self, out: &Path) {
        let script = Self::script("vietnamese_pdf.py");
        let result = self.run(
            &self.python,
            &[script.as_os_str(), out.as_os_str(), DEJAVU_SANS.as_ref()],
            out.parent().unwrap_or(Path::new(".")),
        );
        assert!(
            result.status.success() && out.is_file(),
            "{} {} failed:\n{}",
            self.python.display(),
            script.display(),
            describe(&result)
        );
    }

    /// Signs `input` into `output` with `signer` of `pki` (its key, its certificate, the
    /// intermediate as chain), PAdES (`--use-pades`, SubFilter ETSI.CAdES.detached), into the
    /// invisible field `field` (created if missing), with a signature timestamp from `tsa_url` if
    /// given. RSASSA-PSS for [`KeyKind::Rsa2048Pss`] (`--prefer-pss`). The command line is:
    ///
    /// `pyhanko sign addsig --field F --use-pades --reason R --location L [--timestamp-url U]
    /// [--prefer-pss] pemder --key K --cert C --chain I --no-pass IN OUT`
    pub fn sign_pdf(
        &self,
        pki: &TestPki,
        input: &Path,
        output: &Path,
        signer: &Cert,
        field: &str,
        tsa_url: Option<&str>,
    ) {
        let mut args: Vec<&std::ffi::OsStr> = [
            "sign",
            "addsig",
            "--field",
            field,
            "--use-pades",
            "--reason",
            "Phê duyệt",
            "--location",
            "Hà Giang",
        ]
        .into_iter()
        .map(std::ffi::OsStr::new)
        .collect();
        if let Some(url) = tsa_url {
            args.extend([std::ffi::OsStr::new("--timestamp-url"), url.as_ref()]);
        }
        if signer.key == KeyKind::Rsa2048Pss {
            args.push("--prefer-pss".as_ref());
        }
        args.extend([
            "pemder".as_ref(),
            "--key".as_ref(),
            signer.key_pem.as_os_str(),
            "--cert".as_ref(),
            signer.cert_pem.as_os_str(),
            "--chain".as_ref(),
            pki.intermediate.cert_pem.as_os_str(),
            "--no-pass".as_ref(),
            input.as_os_str(),
            output.as_os_str(),
        ]);
        let result = self.run(&self.pyhanko, &args, &pki.dir().join("scratch"));
        assert!(
            result.status.success() && output.is_file(),
            "pyhanko sign addsig ({} into {field}) failed:\n{}",
            signer.name,
            describe(&result)
        );
    }

    /// Appends to the signed `input` an incremental update that replaces page 1's content stream
    /// (`tests/peers/pdf_modify_after_signing.py`), writing `output`.
    pub fn modify_after_signing(&self, input: &Path, output: &Path) {
        let script = Self::script("pdf_modify_after_signing.py");
        let result = self.run(
            &self.python,
            &[script.as_os_str(), input.as_os_str(), output.as_os_str()],
            output.parent().unwrap_or(Path::new(".")),
        );
        assert!(
            result.status.success() && output.is_file(),
            "{} failed:\n{}",
            script.display(),
            describe(&result)
        );
    }

    /// pyHanko's verdict on every signature in `pdf`, trusting only `trust_root`:
    /// `pyhanko sign validate --pretty-print --trust ROOT --trust-replace PDF`. Revocation is
    /// checked online (so start the PKI's services first). Returns (exit status was success,
    /// stdout and stderr).
    pub fn validate(&self, pdf: &Path, trust_root: &Path) -> (bool, String) {
        self.validate_with(pdf, trust_root, &[])
    }

    /// [`Pyhanko::validate`] with more options before the file, e.g. `--no-revocation-check`,
    /// `--validation-time 2025-01-01T00:00:00+00:00`, `--no-diff-analysis`.
    pub fn validate_with(&self, pdf: &Path, trust_root: &Path, extra: &[&str]) -> (bool, String) {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "sign".as_ref(),
            "validate".as_ref(),
            "--pretty-print".as_ref(),
        ];
        args.extend([
            "--trust".as_ref(),
            trust_root.as_os_str(),
            "--trust-replace".as_ref(),
        ]);
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        args.push(pdf.as_os_str());
        let out = self.run(&self.pyhanko, &args, pdf.parent().unwrap_or(Path::new(".")));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// Makes the [`SignedPdfs`] in `dir` (file names fixed: `unsigned.pdf`, `leader.pdf`,
    /// `leader-agency.pdf`, `modified-after-signing.pdf`, `expired.pdf`, `revoked.pdf`), with
    /// signature timestamps from `tsa_url` if given. Several seconds: pyHanko starts slowly.
    pub fn signed_pdfs(&self, pki: &TestPki, dir: &Path, tsa_url: Option<&str>) -> SignedPdfs {
        let started = Instant::now();
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        let pdfs = SignedPdfs {
            unsigned: dir.join("unsigned.pdf"),
            leader: dir.join("leader.pdf"),
            leader_agency: dir.join("leader-agency.pdf"),
            modified_after_signing: dir.join("modified-after-signing.pdf"),
            expired: dir.join("expired.pdf"),
            revoked: dir.join("revoked.pdf"),
            timestamped: tsa_url.is_some(),
        };
        self.vietnamese_pdf(&pdfs.unsigned);
        // Two cores: the independent signatures in parallel.
        std::thread::scope(|s| {
            s.spawn(|| {
                self.sign_pdf(
                    pki,
                    &pdfs.unsigned,
                    &pdfs.leader,
                    &pki.leader,
                    "Sig1",
                    tsa_url,
                );
                self.sign_pdf(
                    pki,
                    &pdfs.leader,
                    &pdfs.leader_agency,
                    &pki.agency,
                    "Sig2",
                    tsa_url,
                );
                self.modify_after_signing(&pdfs.leader_agency, &pdfs.modified_after_signing);
            });
            s.spawn(|| {
                self.sign_pdf(
                    pki,
                    &pdfs.unsigned,
                    &pdfs.expired,
                    &pki.expired,
                    "Sig1",
                    tsa_url,
                );
                self.sign_pdf(
                    pki,
                    &pdfs.unsigned,
                    &pdfs.revoked,
                    &pki.revoked,
                    "Sig1",
                    tsa_url,
                );
            });
        });
        eprintln!(
            "signed PDFs ({}) made in {} in {:.2?}",
            if tsa_url.is_some() {
                "timestamped"
            } else {
                "no timestamps"
            },
            dir.display(),
            started.elapsed()
        );
        pdfs
    }

    /// [`Pyhanko::signed_pdfs`] without timestamps by [`TestPki::shared`], made once per test
    /// process (in its folder, `pdfs/`).
    pub fn shared_pdfs(&self) -> &'static SignedPdfs {
        static SHARED: OnceLock<SignedPdfs> = OnceLock::new();
        SHARED.get_or_init(|| {
            let pki = TestPki::shared();
            self.signed_pdfs(pki, &pki.dir().join("pdfs"), None)
        })
    }
}
