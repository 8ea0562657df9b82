//! `stele qr`: the QR code of a record's public verification page, as SVG or PNG, for printing
//! on paper copies. Also the helpers the web server uses to show the same URL and QR code.
//!
//! The URL is `{public base}/v/{id}/{code}` (see `stele_archive::verification_code`). The QR
//! matrix comes from the `qrcode` crate with medium error correction (15% of the symbol may be
//! lost: a stamp or a fold on paper) and the 4-module quiet zone the standard requires; the
//! images are drawn here, each module a whole number of pixels so scanners see crisp edges.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use qrcode::{Color, EcLevel, QrCode};
use serde_json::json;
use stele_archive::VerificationCodes;

use crate::context::{Context, GlobalArgs};
use crate::UsageError;

/// Light modules around the symbol, on every side (ISO/IEC 18004 asks for 4).
const QUIET_ZONE: usize = 4;

/// Pixels per module when `--size` is not given: about 3 cm at 300 dpi for a typical URL.
const DEFAULT_SCALE: usize = 8;

/// Largest `--size`: a 16k-pixel square is already far beyond any print.
const MAX_SIZE: u32 = 16_384;

/// Longest base URL accepted; with the id and code it must still fit a QR code comfortably.
const MAX_BASE_URL: usize = 512;

#[derive(Args)]
pub struct QrArgs {
    /// The record id (64 hex digits) or a unique prefix of at least 8.
    id: String,
    /// The image to write: FILE.svg or FILE.png (an existing file is never overwritten).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Start of the URL, e.g. https://luutru.example.gov.vn [default: [server] public_url, else
    /// http:// and [server] listen].
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Width and height of the image in pixels, rounded down to a whole number of pixels per
    /// module [default: 8 pixels per module].
    #[arg(long, value_name = "PX", value_parser = clap::value_parser!(u32).range(1..=MAX_SIZE as i64))]
    size: Option<u32>,
    /// Print the result as one JSON object (id, url, code, file, format, modules, pixels).
    #[arg(long)]
    json: bool,
}

/// The two image formats, chosen by the file's extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
}

impl Format {
    fn of(path: &Path) -> Result<Format, UsageError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            Some(other) => Err(UsageError(format!(
                "{}: unsupported extension `.{other}`: write FILE.svg or FILE.png",
                path.display()
            ))),
            None => Err(UsageError(format!(
                "{}: no extension: write FILE.svg or FILE.png",
                path.display()
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }
}

pub fn run(global: &GlobalArgs, args: QrArgs) -> Result<ExitCode, UsageError> {
    // Input mistakes first, before the store is touched.
    let format = Format::of(&args.out)?;
    if std::fs::symlink_metadata(&args.out).is_ok() {
        return Err(UsageError(format!(
            "{} already exists: refusing to overwrite it",
            args.out.display()
        )));
    }
    if let Some(base) = &args.base_url {
        check_base_url(base).map_err(|e| UsageError(format!("--base-url: {e}")))?;
    }
    let ctx = Context::open(global)?;
    let id = ctx.record_id(&args.id)?;
    let codes = verification_codes(&ctx)?;
    let base = match &args.base_url {
        Some(b) => b.trim_end_matches('/').to_string(),
        None => configured_base(&ctx)?,
    };
    let url = codes.url(&base, &id);
    let code = codes.code(&id);
    let matrix = Matrix::of(&url)?;
    let scale = match args.size {
        Some(px) => matrix.scale_for(px)?,
        None => DEFAULT_SCALE,
    };
    let bytes = match format {
        Format::Svg => matrix.svg(scale).into_bytes(),
        Format::Png => matrix.png(scale)?,
    };
    // Checked above too; a file appearing since is overwritten whole (the write is atomic and
    // the image can be made again), which is acceptable for a regenerable picture.
    stele_archive::write_atomically(&args.out, &bytes)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", args.out.display())))?;
    let pixels = matrix.side() * scale;
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = json!({
            "id": id.as_str(),
            "url": url,
            "code": code,
            "file": args.out.display().to_string(),
            "format": format.name(),
            "modules": matrix.width,
            "pixels": pixels,
        });
        writeln!(out, "{report}")?;
    } else {
        writeln!(out, "{url}")?;
        eprintln!(
            "wrote {} ({} QR code, {pixels}×{pixels} pixels)",
            args.out.display(),
            format.name().to_ascii_uppercase()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// An SVG image of the QR code of `url` (medium error correction, quiet zone included), sized
/// at 8 pixels per module; it scales cleanly. Errors when `url` is too long for a QR code.
pub fn qr_svg(url: &str) -> Result<String, UsageError> {
    Ok(Matrix::of(url)?.svg(DEFAULT_SCALE))
}

/// The archive's verification codes (the key is created in the store on first use).
/// The archive's verification codes (the key is made on first use), for `stele qr` and the server.
pub(crate) fn verification_codes(ctx: &Context) -> Result<VerificationCodes, UsageError> {
    ctx.block_on(VerificationCodes::load_or_create(ctx.store()))
        .map_err(|e| UsageError(format!("cannot load the verification key: {e}")))
}

/// `[server] public_url` (or `http://` + `listen`), checked like `--base-url`.
pub(crate) fn configured_base(ctx: &Context) -> Result<String, UsageError> {
    let base = ctx.config.server.public_base();
    check_base_url(&base).map_err(|e| {
        UsageError(format!(
            "{}: [server] public_url: {e}",
            ctx.config_path.display()
        ))
    })?;
    Ok(base)
}

/// A base URL must be absolute http(s), without query, fragment or spaces: the path is appended
/// to it as it stands, and anything after `?` or `#` would swallow the path.
fn check_base_url(base: &str) -> Result<(), String> {
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"))
        .ok_or_else(|| format!("`{base}` must start with https:// or http://"))?;
    if base.len() > MAX_BASE_URL {
        return Err(format!(
            "it is {} characters long, more than the {MAX_BASE_URL} accepted",
            base.len()
        ));
    }
    if rest.trim_end_matches('/').is_empty() {
        return Err(format!("`{base}` names no host"));
    }
    if let Some(c) = base
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '"' | '<' | '>'))
    {
        return Err(format!(
            "`{base}` contains {c:?}; give the site's address without query or fragment"
        ));
    }
    Ok(())
}

/// A QR symbol's modules, row by row, without the quiet zone.
struct Matrix {
    width: usize,
    dark: Vec<bool>,
}

impl Matrix {
    fn of(url: &str) -> Result<Matrix, UsageError> {
        let code =
            QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).map_err(|e| {
                UsageError(format!(
                    "cannot make a QR code of the {}-byte URL {url}: {e}",
                    url.len()
                ))
            })?;
        Ok(Matrix {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// Modules per side, quiet zone included.
    fn side(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Whether the module at (x, y) of the image, quiet zone included, is dark.
    fn is_dark(&self, x: usize, y: usize) -> bool {
        let inside = |v: usize| (QUIET_ZONE..QUIET_ZONE + self.width).contains(&v);
        inside(x) && inside(y) && self.dark[(y - QUIET_ZONE) * self.width + (x - QUIET_ZONE)]
    }

    /// Pixels per module for an image of at most `px` pixels per side.
    fn scale_for(&self, px: u32) -> Result<usize, UsageError> {
        let scale = px as usize / self.side();
        if scale == 0 {
            return Err(UsageError(format!(
                "--size {px} is too small: this QR code has {} modules a side (quiet zone included), so it needs at least {} pixels",
                self.side(),
                self.side()
            )));
        }
        Ok(scale)
    }

    /// SVG in module units (the viewBox), displayed at `scale` pixels per module: one path of
    /// the dark runs of each row, on a white square.
    fn svg(&self, scale: usize) -> String {
        let side = self.side();
        let px = side * scale;
        let mut path = String::new();
        for y in 0..side {
            let mut x = 0;
            while x < side {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < side && self.is_dark(x, y) {
                    x += 1;
                }
                path.push_str(&format!("M{start} {y}h{}v1h-{}z", x - start, x - start));
            }
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{px}\" height=\"{px}\" \
             viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{path}\"/></svg>\n"
        )
    }

    /// A 1-bit greyscale PNG, `scale` pixels per module (0 is black: dark modules).
    fn png(&self, scale: usize) -> Result<Vec<u8>, UsageError> {
        let side = self.side();
        let px = side * scale;
        let dimension = u32::try_from(px)
            .map_err(|_| UsageError(format!("a {px}-pixel image is too large")))?;
        let row_bytes = px.div_ceil(8);
        let mut data = Vec::with_capacity(row_bytes * px);
        for y in 0..side {
            let mut row = vec![0u8; row_bytes];
            for x in 0..px {
                if !self.is_dark(x / scale, y) {
                    row[x / 8] |= 0x80 >> (x % 8);
                }
            }
            for _ in 0..scale {
                data.extend_from_slice(&row);
            }
        }
        let failed = |e: png::EncodingError| UsageError(format!("cannot encode the PNG: {e}"));
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, dimension, dimension);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header().map_err(failed)?;
        writer.write_image_data(&data).map_err(failed)?;
        writer.finish().map_err(failed)?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        for good in [
            "https://luutru.example.gov.vn",
            "http://127.0.0.1:8080",
            "https://example.vn/archive/",
        ] {
            assert!(check_base_url(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "luutru.example.gov.vn",
            "ftp://x",
            "https://",
            "https://x/?a=1",
            "https://x/#top",
            "https://x y",
            "https://x\n",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad:?}");
        }
        assert!(check_base_url(&format!("https://{}", "a".repeat(MAX_BASE_URL))).is_err());
    }

    #[test]
    fn images_have_a_quiet_zone_and_whole_modules() {
        let m = Matrix::of("https://example.vn/v/abc/def").unwrap();
        assert_eq!(m.side(), m.width + 8);
        // The finder pattern's corner is dark, the quiet zone light.
        assert!(m.is_dark(QUIET_ZONE, QUIET_ZONE));
        assert!(!m.is_dark(0, 0) && !m.is_dark(QUIET_ZONE - 1, QUIET_ZONE));
        assert_eq!(m.scale_for(m.side() as u32 * 3 + 2).unwrap(), 3);
        assert!(m.scale_for(m.side() as u32 - 1).is_err());
        let png = m.png(2).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let svg = qr_svg("https://example.vn/v/abc/def").unwrap();
        assert!(svg.contains(&format!("viewBox=\"0 0 {0} {0}\"", m.side())));
    }

    #[test]
    fn a_url_too_long_is_an_error() {
        assert!(Matrix::of(&"a".repeat(5000)).is_err());
    }

    #[test]
    fn extensions() {
        assert!(Format::of(Path::new("q.SVG")).is_ok());
        assert!(Format::of(Path::new("q.png")).is_ok());
        let e = Format::of(Path::new("q.jpg")).err().unwrap();
        assert!(e.0.contains(".jpg"), "{}", e.0);
        assert!(Format::of(Path::new("q")).is_err());
    }
}
