use std::io::Read;
use std::path::Path;
use stele_asn1::DigestAlgorithm;

/// Hashes a file with every algorithm in `algs` in one streaming pass (files may be larger than
/// memory). Returns the digests in the order of `algs`.
pub fn digest_file(
    path: &Path,
    algs: &[DigestAlgorithm],
) -> std::io::Result<Vec<(DigestAlgorithm, Vec<u8>)>> {
    let mut file = std::fs::File::open(path)?;
    let mut hashers: Vec<_> = algs.iter().map(|a| a.hasher()).collect();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for h in &mut hashers {
            h.update(&buf[..n]);
        }
    }
    Ok(algs
        .iter()
        .zip(hashers)
        .map(|(a, h)| (*a, h.finalize()))
        .collect())
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or the whole new one:
/// a temporary file in the same folder, synced, then renamed over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
