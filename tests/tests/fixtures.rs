//! The test PKI and signed files of `stele_tests::pki` are what they claim to be, judged by tools
//! that are not Stele: `openssl verify`, `openssl ocsp`, `openssl crl`, `openssl cms -verify`,
//! `openssl ts -verify` and pyHanko. When pyHanko is missing the PDF tests say they skipped (and
//! fail instead when `CI` is set).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use stele_tests::describe;
use stele_tests::pki::{pyhanko, Cert, TestPki};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A bare HTTP/1.1 request to 127.0.0.1:`port`: (status, head, body).
fn http(
    port: u16,
    method: &str,
    target: &str,
    body: &[u8],
) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP head")
        + 4;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head[9..12].parse().expect("status code");
    Ok((status, head, raw[end..].to_vec()))
}

#[test]
fn subjects_are_vietnamese_utf8_and_shaped_like_real_certificates() {
    let pki = TestPki::shared();
    assert!(
        pki.root.subject.contains("O=Ban Cơ yếu Chính phủ"),
        "{}",
        pki.root.subject
    );
    assert!(pki.root.subject.contains("RootCA chuyên dùng Chính phủ G2"));
    let leader = &pki.leader.subject;
    for part in [
        "CN=Nguyễn Văn An",
        "title=Chủ tịch",
        "O=Ủy ban nhân dân tỉnh Hà Giang",
        "UID=CCCD:",
    ] {
        assert!(leader.contains(part), "{part} not in {leader}");
    }
    let agency = &pki.agency.subject;
    for part in [
        "CN=UBND tỉnh Hà Giang",
        "UID=MST:5100000001",
        "UID=MNS:1000001",
        "C=VN",
    ] {
        assert!(agency.contains(part), "{part} not in {agency}");
    }
    // Names are UTF8String, country PrintableString.
    let parsed = run(
        pki.dir(),
        &[
            "asn1parse",
            "-inform",
            "DER",
            "-in",
            path(&pki.agency.cert_der),
        ],
    );
    let parsed = text(&parsed);
    assert!(
        parsed.contains("UTF8STRING        :UBND tỉnh Hà Giang"),
        "{parsed}"
    );
    assert!(parsed.contains("PRINTABLESTRING   :VN"), "{parsed}");
    // Each end-entity names the loopback CRL and OCSP URLs.
    for signer in pki.signers() {
        let shown = text(&run(
            pki.dir(),
            &["x509", "-in", path(&signer.cert_pem), "-noout", "-text"],
        ));
        assert!(
            shown.contains(&format!("URI:{}", pki.crl_url())),
            "{}: {shown}",
            signer.name
        );
        assert!(
            shown.contains(&format!("OCSP - URI:{}", pki.ocsp_url())),
            "{}: {shown}",
            signer.name
        );
    }
    let ocsp = text(&run(
        pki.dir(),
        &[
            "x509",
            "-in",
            path(&pki.ocsp_responder.cert_pem),
            "-noout",
            "-text",
        ],
    ));
    assert!(
        ocsp.contains("OCSP Signing") && ocsp.contains("OCSP No Check"),
        "{ocsp}"
    );
    assert!(text(&run(
        pki.dir(),
        &[
            "x509",
            "-in",
            path(&pki.ecdsa_p384.cert_pem),
            "-noout",
            "-text"
        ]
    ))
    .contains("NIST CURVE: P-384"));
    assert!(pki.expired.not_after < pki.created_at);
    assert!(pki.revoked_at < pki.created_at && pki.revoked.not_before < pki.revoked_at);
    assert_eq!(
        pki.revoked.serial_bytes().len() * 2,
        pki.revoked.serial.len()
    );
}

#[test]
fn openssl_verifies_every_signer_path_and_sees_expiry_and_revocation() {
    let pki = TestPki::shared();
    let dir = pki.dir();
    let verify = |cert: &Cert, extra: &[&str]| {
        let mut args = vec![
            "verify",
            "-CAfile",
            path(pki.trust_anchor()),
            "-untrusted",
            path(pki.chain_pem()),
        ];
        args.extend(extra);
        args.push(path(&cert.cert_pem));
        run(dir, &args)
    };
    for cert in pki
        .signers()
        .into_iter()
        .chain([&pki.ocsp_responder, &pki.tsa, &pki.intermediate])
    {
        let out = verify(cert, &[]);
        if cert.name == "expired" {
            assert!(!out.status.success(), "{}", describe(&out));
            assert!(
                text(&out).contains("certificate has expired"),
                "{}",
                describe(&out)
            );
        } else {
            assert!(out.status.success(), "{}: {}", cert.name, describe(&out));
        }
    }
    // With both CRLs: the revoked one fails, the others pass.
    let crls = [
        "-crl_check_all",
        "-CRLfile",
        "intermediate/crl.pem",
        "-CRLfile",
        "root/crl.pem",
    ];
    let out = verify(&pki.revoked, &crls);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        text(&out).contains("certificate revoked"),
        "{}",
        describe(&out)
    );
    for cert in [
        &pki.leader,
        &pki.agency,
        &pki.ecdsa_p256,
        &pki.ecdsa_p384,
        &pki.rsa_pss,
    ] {
        let out = verify(cert, &crls);
        assert!(out.status.success(), "{}: {}", cert.name, describe(&out));
    }
}

#[test]
fn ocsp_responder_on_loopback_says_revoked_and_good() {
    let pki = TestPki::shared();
    let services = pki.start_services();
    let url = services.ocsp_url().expect("OCSP up").to_string();
    let ask = |cert: &Cert| {
        run(
            pki.dir(),
            &[
                "ocsp",
                "-issuer",
                path(pki.chain_pem()),
                "-cert",
                path(&cert.cert_pem),
                "-url",
                &url,
                "-CAfile",
                path(pki.trust_anchor()),
                "-verify_other",
                path(pki.chain_pem()),
                "-timeout",
                "10",
            ],
        )
    };
    let revoked = ask(&pki.revoked);
    let said = text(&revoked);
    assert!(
        said.contains("Response verify OK"),
        "{}",
        describe(&revoked)
    );
    assert!(said.contains(": revoked"), "{}", describe(&revoked));
    assert!(said.contains("Reason: cessationOfOperation"), "{said}");
    let when = pki
        .revoked_at
        .format(time::macros::format_description!(
            "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
        ))
        .unwrap();
    assert!(
        said.contains(&format!("Revocation Time: {when}")),
        "{when} not in {said}"
    );
    for good in [&pki.leader, &pki.agency, &pki.expired] {
        let out = ask(good);
        assert!(
            text(&out).contains("Response verify OK"),
            "{}",
            describe(&out)
        );
        assert!(
            text(&out).contains(": good"),
            "{}: {}",
            good.name,
            describe(&out)
        );
    }

    // RFC 6960 GET: the DER request base64 in the path.
    let scratch = tempfile::tempdir().unwrap();
    let req = scratch.path().join("req.der");
    let out = run(
        pki.dir(),
        &[
            "ocsp",
            "-issuer",
            path(pki.chain_pem()),
            "-cert",
            path(&pki.revoked.cert_pem),
            "-no_nonce",
            "-reqout",
            path(&req),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&req).unwrap());
    let target = format!(
        "/{}",
        b64.replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    );
    let (status, head, body) = http(pki.ocsp_port, "GET", &target, b"").expect("GET OCSP");
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("Content-Type: application/ocsp-response"),
        "{head}"
    );
    let resp = scratch.path().join("resp.der");
    std::fs::write(&resp, body).unwrap();
    let out = run(
        pki.dir(),
        &["ocsp", "-respin", path(&resp), "-resp_text", "-noverify"],
    );
    assert!(
        text(&out).contains("Cert Status: revoked"),
        "{}",
        describe(&out)
    );
    assert!(services.ocsp_requests() >= 5);
}

#[test]
fn crl_is_served_over_http_and_parses() {
    let pki = TestPki::shared();
    let services = pki.start_services();
    let (status, head, body) =
        http(pki.http_port, "GET", "/intermediate.crl", b"").expect("GET CRL");
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("Content-Type: application/pkix-crl"),
        "{head}"
    );
    assert_eq!(body, pki.crl_der());
    let tmp = tempfile::tempdir().unwrap();
    let fetched = tmp.path().join("fetched.crl");
    std::fs::write(&fetched, &body).unwrap();
    let out = run(
        pki.dir(),
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            path(&fetched),
            "-noout",
            "-text",
            "-CAfile",
            path(pki.chain_pem()),
        ],
    );
    let shown = text(&out);
    assert!(
        out.status.success() && shown.contains("verify OK"),
        "{}",
        describe(&out)
    );
    assert!(
        shown.contains(&format!("Serial Number: {}", pki.revoked.serial)),
        "{shown}"
    );
    assert!(shown.contains("Cessation Of Operation"), "{shown}");
    assert!(!shown.contains(&pki.leader.serial), "{shown}");

    let (status, _, root_crl) = http(pki.http_port, "GET", "/root.crl", b"").unwrap();
    assert_eq!((status, root_crl), (200, pki.root_crl_der()));
    let (status, head, cert) = http(pki.http_port, "GET", "/intermediate.cer", b"").unwrap();
    assert_eq!((status, cert), (200, pki.intermediate.der()));
    assert!(head.contains("application/pkix-cert"));
    assert_eq!(http(pki.http_port, "GET", "/nothing", b"").unwrap().0, 404);
    assert!(services.crl_requests() >= 4);
}

#[test]
fn each_service_runs_alone_and_stops_when_dropped() {
    // A PKI of its own: the shared one's services may be up for other tests.
    let tmp = tempfile::tempdir().unwrap();
    let pki = TestPki::create(tmp.path());
    let refused = |port| TcpStream::connect(("127.0.0.1", port)).is_err();
    assert!(refused(pki.ocsp_port) && refused(pki.http_port));
    {
        let ocsp_only = pki.start_ocsp();
        assert!(ocsp_only.crl_url().is_none());
        assert!(!refused(pki.ocsp_port), "OCSP should be up");
        assert!(refused(pki.http_port), "CRL server should be down");
        // A second handle shares the running responder.
        let both = pki.start_services();
        assert!(!refused(pki.http_port));
        drop(both);
        assert!(!refused(pki.ocsp_port), "still held by the first handle");
        assert!(refused(pki.http_port));
    }
    assert!(
        refused(pki.ocsp_port),
        "OCSP should stop with its last handle"
    );
    let crl_only = pki.start_crl_server();
    assert!(crl_only.ocsp_url().is_none());
    assert!(refused(pki.ocsp_port) && !refused(pki.http_port));
}

#[test]
fn cms_signatures_verify_in_openssl_der_and_ber() {
    let pki = TestPki::shared();
    let tmp = tempfile::tempdir().unwrap();
    let content = "Công văn số 42/UBND-VP: chữ ký số chuyên dùng Chính phủ\n".repeat(50);
    let content_file = tmp.path().join("content.txt");
    std::fs::write(&content_file, &content).unwrap();
    for signer in [
        &pki.leader,
        &pki.agency,
        &pki.ecdsa_p256,
        &pki.ecdsa_p384,
        &pki.rsa_pss,
    ] {
        for ber in [false, true] {
            if ber && signer.name == "rsa_pss" {
                continue; // OpenSSL 3.0 cannot stream RSASSA-PSS (the helper says so).
            }
            for detached in [true, false] {
                let cms = if detached {
                    pki.sign_cms_detached(content.as_bytes(), signer, ber)
                } else {
                    pki.sign_cms_enveloping(content.as_bytes(), signer, ber)
                };
                let what = format!("{} ber={ber} detached={detached}", signer.name);
                // Outer ContentInfo SEQUENCE: indefinite length (0x80) exactly when BER.
                assert_eq!(cms[0], 0x30, "{what}");
                assert_eq!(cms[1] == 0x80, ber, "{what}: {:02x?}", &cms[..4]);
                let sig = tmp.path().join("sig.p7s");
                std::fs::write(&sig, &cms).unwrap();
                let parsed = text(&run(
                    pki.dir(),
                    &["asn1parse", "-inform", "DER", "-in", path(&sig)],
                ));
                assert_eq!(parsed.contains("l=inf"), ber, "{what}");

                let recovered = tmp.path().join("recovered.txt");
                let mut args = vec![
                    "cms",
                    "-verify",
                    "-binary",
                    "-cades",
                    "-inform",
                    "DER",
                    "-in",
                    path(&sig),
                    "-CAfile",
                    path(pki.trust_anchor()),
                    "-out",
                    path(&recovered),
                ];
                if detached {
                    args.extend(["-content", path(&content_file)]);
                }
                let out = run(pki.dir(), &args);
                assert!(out.status.success(), "{what}: {}", describe(&out));
                assert!(
                    text(&out).contains("Verification successful"),
                    "{what}: {}",
                    describe(&out)
                );
                assert_eq!(
                    std::fs::read(&recovered).unwrap(),
                    content.as_bytes(),
                    "{what}"
                );

                let printed = text(&run(
                    pki.dir(),
                    &[
                        "cms",
                        "-cmsout",
                        "-print",
                        "-inform",
                        "DER",
                        "-in",
                        path(&sig),
                    ],
                ));
                let algorithm = match signer.name {
                    "rsa_pss" => "rsassaPss",
                    "ecdsa_p256" => "ecdsa-with-SHA256",
                    "ecdsa_p384" => "ecdsa-with-SHA384",
                    _ => "rsaEncryption",
                };
                assert!(
                    printed.contains(algorithm),
                    "{what}: {algorithm} not in\n{printed}"
                );
                assert!(
                    printed.contains("id-smime-aa-signingCertificateV2"),
                    "{what}"
                );
                assert_eq!(printed.contains("eContent: <ABSENT>"), detached, "{what}");
            }
        }
    }
    // A changed byte fails.
    let cms = pki.sign_cms_detached(content.as_bytes(), &pki.leader, false);
    let sig = tmp.path().join("sig.p7s");
    std::fs::write(&sig, cms).unwrap();
    std::fs::write(&content_file, content.replace("42", "43")).unwrap();
    let out = run(
        pki.dir(),
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            path(&sig),
            "-content",
            path(&content_file),
            "-CAfile",
            path(pki.trust_anchor()),
            "-out",
            "/dev/null",
        ],
    );
    assert!(!out.status.success(), "{}", describe(&out));
}

#[test]
fn tsa_answers_openssl_ts_queries() {
    let pki = TestPki::shared();
    let tsa = pki.start_tsa();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data.txt");
    std::fs::write(&data, "Quyết định 1234/QĐ-UBND").unwrap();
    let query = tmp.path().join("q.tsq");
    let out = run(
        pki.dir(),
        &[
            "ts",
            "-query",
            "-data",
            path(&data),
            "-sha256",
            "-cert",
            "-out",
            path(&query),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let port: u16 = tsa
        .url()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (status, head, body) =
        http(port, "POST", "/", &std::fs::read(&query).unwrap()).expect("POST to TSA");
    assert_eq!(status, 200, "{head}{}", String::from_utf8_lossy(&body));
    assert!(head.contains("application/timestamp-reply"), "{head}");
    let reply = tmp.path().join("r.tsr");
    std::fs::write(&reply, body).unwrap();
    let out = run(
        pki.dir(),
        &[
            "ts",
            "-verify",
            "-in",
            path(&reply),
            "-queryfile",
            path(&query),
            "-CAfile",
            path(pki.trust_anchor()),
            "-untrusted",
            path(pki.chain_pem()),
        ],
    );
    assert!(
        text(&out).contains("Verification: OK"),
        "{}",
        describe(&out)
    );
    assert_eq!(tsa.requests(), 1);
}

#[test]
fn pyhanko_judges_the_signed_pdfs() {
    let Some(py) = pyhanko() else { return };
    eprintln!("peer: {}", py.version);
    let pki = TestPki::shared();
    let services = pki.start_services();
    let pdfs = py.shared_pdfs();

    let started = Instant::now();
    let (ok, said) = py.validate(&pdfs.leader_agency, pki.trust_anchor());
    eprintln!(
        "pyhanko validate (two signatures) took {:.2?}",
        started.elapsed()
    );
    assert!(ok, "pyHanko rejects the leader+agency PDF:\n{said}");
    for part in ["Sig1", "Sig2", "Nguyễn Văn An", "UBND tỉnh Hà Giang"] {
        assert!(said.contains(part), "{part} not in\n{said}");
    }
    assert!(
        !said.contains("INVALID") && !said.contains("UNTRUSTED"),
        "{said}"
    );

    let (ok, said) = py.validate(&pdfs.leader, pki.trust_anchor());
    assert!(ok, "{said}");

    let (ok, said) = py.validate(&pdfs.modified_after_signing, pki.trust_anchor());
    assert!(!ok, "pyHanko accepts a PDF changed after signing:\n{said}");
    assert!(
        said.contains("incompatible with the current document modification policy"),
        "{said}"
    );
    assert!(
        said.contains("The signature is cryptographically sound."),
        "{said}"
    );

    let (ok, said) = py.validate(&pdfs.expired, pki.trust_anchor());
    assert!(!ok, "pyHanko accepts the expired signer:\n{said}");
    assert!(said.contains("expired"), "{said}");
    let (ok, said) = py.validate(&pdfs.revoked, pki.trust_anchor());
    assert!(!ok, "pyHanko accepts the revoked signer:\n{said}");
    assert!(
        said.contains("The signer's certificate is revoked."),
        "{said}"
    );
    // pyHanko asked the loopback services, not only the files.
    assert!(services.ocsp_requests() > 0 && services.crl_requests() > 0);

    // Another trust root: untrusted.
    let (ok, said) = py.validate(&pdfs.leader_agency, &pki.ecdsa_p256.cert_pem);
    assert!(!ok, "{said}");

    // The text layer is there: fpdf2 embeds a ToUnicode map.
    let bytes = std::fs::read(&pdfs.unsigned).unwrap();
    assert!(bytes.windows(10).any(|w| w == b"/ToUnicode"));
}

#[test]
fn pyhanko_signs_with_ecdsa_and_pss_and_timestamps() {
    let Some(py) = pyhanko() else { return };
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let tsa = pki.start_tsa();
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let pdfs = py.signed_pdfs(pki, tmp.path(), Some(tsa.url()));
    eprintln!("timestamped PDFs made in {:.2?}", started.elapsed());
    assert!(tsa.requests() >= 4, "{} timestamp requests", tsa.requests());
    let (ok, said) = py.validate(&pdfs.leader_agency, pki.trust_anchor());
    assert!(ok, "{said}");
    assert!(said.to_lowercase().contains("timestamp"), "{said}");

    for signer in [&pki.ecdsa_p256, &pki.ecdsa_p384, &pki.rsa_pss] {
        let out = tmp.path().join(format!("{}.pdf", signer.name));
        py.sign_pdf(pki, &pdfs.unsigned, &out, signer, "Sig1", None);
        let (ok, said) = py.validate(&out, pki.trust_anchor());
        assert!(ok, "{}: {said}", signer.name);
    }
}
