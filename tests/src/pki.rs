//! A test PKI made with the `openssl` command line, its services on loopback, and signed files made
//! by real peers (OpenSSL for CMS, pyHanko for PAdES), for testing `stele check` (issue 2).
//!
//! - [`TestPki::create`] makes, in a folder of the caller's: a root CA and an intermediate CA with
//!   Vietnamese UTF-8 names (modelled on the Government CA of Ban Cơ yếu Chính phủ), an OCSP responder
//!   certificate and a TSA certificate, and end-entity signers: `leader` (a personal certificate),
//!   `agency` (an organisation certificate), `expired`, `revoked`, ECDSA P-256 and P-384, and an RSA
//!   key that signs with RSASSA-PSS. Every end-entity names a CRL distribution point and an AIA OCSP
//!   URL on loopback ports chosen when the PKI is made. [`TestPki::shared`] is one per test process.
//! - [`TestPki::start_services`] serves the CRLs and the OCSP responder on those ports (or only one
//!   of them, to test with the other down); [`TestPki::start_tsa`] an RFC 3161 TSA (`openssl ts`).
//! - [`TestPki::sign_cms_detached`] and [`TestPki::sign_cms_enveloping`] run `openssl cms -sign`,
//!   DER or BER (indefinite lengths).
//! - [`pyhanko`] finds pyHanko (installed by `.ci/run`), which makes and validates the PDFs.
//!
//! Vietnamese subject names follow the practice of Vietnamese CAs: a personal certificate carries the
//! person's name in CN, a title, the organisation in O, and the citizen identity number as
//! `UID=CCCD:…`; an organisation certificate carries the organisation's name in CN and O, its tax
//! code as `UID=MST:…` and, for a state budget unit, its budget code as `UID=MNS:…` (UID is
//! 0.9.2342.19200300.100.1.1), plus L, ST, C=VN and an e-mail address. All numbers here are made up.
//!
//! Everything is written under the folder given to [`TestPki::create`] (for [`TestPki::shared`], a
//! folder under the system temporary folder); nothing goes into the repository.

mod http;
mod pdf;
mod services;

pub use pdf::{in_ci, pyhanko, Pyhanko, SignedPdfs, DEJAVU_SANS, VIETNAMESE_TITLE};
pub use services::{Services, Tsa};

use std::ffi::OsStr;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use time::{Duration, OffsetDateTime};

use crate::describe;

/// The key of a certificate, and so how it signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA 2048, signs with PKCS#1 v1.5 and SHA-256.
    Rsa2048,
    /// RSA 2048 (an ordinary rsaEncryption key) that signs with RSASSA-PSS, SHA-256, salt 32.
    Rsa2048Pss,
    /// ECDSA on P-256, signs with SHA-256.
    EcP256,
    /// ECDSA on P-384, signs with SHA-384.
    EcP384,
}

impl KeyKind {
    /// The digest OpenSSL and pyHanko are told to use with this key.
    pub fn digest(self) -> &'static str {
        match self {
            KeyKind::EcP384 => "sha384",
            _ => "sha256",
        }
    }
}

/// One certificate of the test PKI and its private key.
#[derive(Clone, Debug)]
pub struct Cert {
    /// Short name, also the name of its folder: `root`, `intermediate`, `leader`, …
    pub name: &'static str,
    /// The subject as OpenSSL prints it with `-nameopt utf8,sep_comma_plus_space`, in certificate
    /// order (`C=VN, O=…, CN=…`).
    pub subject: String,
    /// The serial number in upper-case hex, as `openssl x509 -serial` and the CA database write it.
    pub serial: String,
    /// The certificate, PEM.
    pub cert_pem: PathBuf,
    /// The certificate, DER.
    pub cert_der: PathBuf,
    /// The private key, unencrypted PKCS#8 PEM.
    pub key_pem: PathBuf,
    pub key: KeyKind,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Cert {
    /// The certificate's DER bytes.
    pub fn der(&self) -> Vec<u8> {
        read(&self.cert_der)
    }

    /// The serial number's bytes (big-endian, as in the certificate without a sign byte).
    pub fn serial_bytes(&self) -> Vec<u8> {
        hex::decode(&self.serial).expect("serial is hex")
    }
}

/// The test PKI. See the module documentation.
pub struct TestPki {
    dir: PathBuf,
    /// Trust anchor: "Stele Test RootCA chuyên dùng Chính phủ G2", RSA 2048, self-signed.
    pub root: Cert,
    /// Issues every other certificate; its CRL distribution point is the root's CRL.
    pub intermediate: Cert,
    /// Signs OCSP responses (id-kp-OCSPSigning, id-pkix-ocsp-nocheck), issued by the intermediate.
    pub ocsp_responder: Cert,
    /// Signs timestamps for [`TestPki::start_tsa`] (id-kp-timeStamping, critical).
    pub tsa: Cert,
    /// Personal certificate of the leader who signs first: CN=Nguyễn Văn An, title Chủ tịch.
    pub leader: Cert,
    /// Organisation certificate of the agency that signs second: CN=UBND tỉnh Hà Giang, MST, MNS.
    pub agency: Cert,
    /// Personal certificate whose validity ended 30 days before the PKI was made.
    pub expired: Cert,
    /// Personal certificate revoked (reason cessationOfOperation) at [`TestPki::revoked_at`].
    pub revoked: Cert,
    /// ECDSA P-256 personal certificate.
    pub ecdsa_p256: Cert,
    /// ECDSA P-384 personal certificate.
    pub ecdsa_p384: Cert,
    /// RSA personal certificate whose key signs with RSASSA-PSS.
    pub rsa_pss: Cert,
    /// When `revoked` was revoked: one day before the PKI was made (whole seconds).
    pub revoked_at: OffsetDateTime,
    /// When the PKI was made (whole seconds); the other dates are relative to it.
    pub created_at: OffsetDateTime,
    /// Loopback port of the OCSP responder named in the end-entities' AIA.
    pub ocsp_port: u16,
    /// Loopback port of the HTTP server named in the CRL distribution points and caIssuers.
    pub http_port: u16,
    services: Arc<services::Slots>,
    scratch: AtomicUsize,
}

/// The certificates the intermediate issues: name, subject, key, extension section, validity (days
/// from now: start, end).
struct Plan {
    name: &'static str,
    subject: &'static str,
    key: KeyKind,
    extensions: &'static str,
    days: (i64, i64),
}

const ROOT_SUBJECT: &str =
    "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Stele Test RootCA chuyên dùng Chính phủ G2";
const INTERMEDIATE_SUBJECT: &str = "/C=VN/O=Ban Cơ yếu Chính phủ/OU=Cục Chứng thực số và Bảo mật thông tin/CN=Stele Test CA phục vụ các cơ quan Nhà nước G2";

const ISSUED: &[Plan] = &[
    Plan {
        name: "ocsp_responder",
        subject: "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Stele Test OCSP G2",
        key: KeyKind::Rsa2048,
        extensions: "ocsp_signer",
        days: (-30, 730),
    },
    Plan {
        name: "tsa",
        subject: "/C=VN/O=Ban Cơ yếu Chính phủ/CN=Stele Test TSA G2",
        key: KeyKind::Rsa2048,
        extensions: "tsa_signer",
        days: (-30, 730),
    },
    Plan {
        name: "leader",
        subject: "/C=VN/ST=Hà Giang/L=Thành phố Hà Giang/O=Ủy ban nhân dân tỉnh Hà Giang/title=Chủ tịch/CN=Nguyễn Văn An/UID=CCCD:002085000001/emailAddress=nvan@hagiang.gov.vn",
        key: KeyKind::Rsa2048,
        extensions: "signer_leader",
        days: (-30, 365),
    },
    Plan {
        name: "agency",
        subject: "/C=VN/ST=Hà Giang/L=Thành phố Hà Giang/O=Ủy ban nhân dân tỉnh Hà Giang/CN=UBND tỉnh Hà Giang/UID=MST:5100000001/UID=MNS:1000001/emailAddress=ubnd@hagiang.gov.vn",
        key: KeyKind::Rsa2048,
        extensions: "signer_agency",
        days: (-30, 365),
    },
    Plan {
        name: "expired",
        subject: "/C=VN/ST=Hà Giang/O=Sở Nội vụ tỉnh Hà Giang/title=Giám đốc/CN=Trần Thị Bình/UID=CCCD:002190000002",
        key: KeyKind::Rsa2048,
        extensions: "signer",
        days: (-400, -30),
    },
    Plan {
        name: "revoked",
        subject: "/C=VN/ST=Hà Giang/O=Sở Tư pháp tỉnh Hà Giang/title=Phó Giám đốc/CN=Lê Văn Cường/UID=CCCD:002088000003",
        key: KeyKind::Rsa2048,
        extensions: "signer",
        days: (-30, 365),
    },
    Plan {
        name: "ecdsa_p256",
        subject: "/C=VN/ST=Hà Giang/O=Văn phòng UBND tỉnh Hà Giang/title=Chánh Văn phòng/CN=Phạm Thị Dung/UID=CCCD:002186000004",
        key: KeyKind::EcP256,
        extensions: "signer",
        days: (-30, 365),
    },
    Plan {
        name: "ecdsa_p384",
        subject: "/C=VN/ST=Hà Giang/O=Sở Tài chính tỉnh Hà Giang/title=Giám đốc/CN=Hoàng Văn Em/UID=CCCD:002087000005",
        key: KeyKind::EcP384,
        extensions: "signer",
        days: (-30, 365),
    },
    Plan {
        name: "rsa_pss",
        subject: "/C=VN/ST=Hà Giang/O=Sở Thông tin và Truyền thông tỉnh Hà Giang/title=Giám đốc/CN=Vũ Thị Giang/UID=CCCD:002189000006",
        key: KeyKind::Rsa2048Pss,
        extensions: "signer",
        days: (-30, 365),
    },
];

impl TestPki {
    /// Makes a new PKI in `dir` (created if missing; should be empty). Takes a second or two: the
    /// keys are made in parallel, the certificates one after another by `openssl ca`.
    pub fn create(dir: &Path) -> TestPki {
        let started = Instant::now();
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        let dir = dir
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("whole seconds");
        // Bind first, so the ports written into the certificates were free; the services bind
        // them again when started.
        let ocsp_port = free_port();
        let http_port = free_port();

        std::fs::write(dir.join("openssl.cnf"), config(ocsp_port, http_port))
            .expect("write openssl.cnf");
        for ca in ["root", "intermediate"] {
            let d = dir.join(ca);
            std::fs::create_dir_all(&d).expect("mkdir ca");
            std::fs::write(d.join("index.txt"), "").expect("index.txt");
            std::fs::write(d.join("crlnumber"), "1000\n").expect("crlnumber");
            std::fs::write(d.join("serial"), "01\n").expect("serial");
        }
        for plan in ISSUED {
            std::fs::create_dir_all(dir.join(plan.name)).expect("mkdir signer");
        }
        std::fs::create_dir_all(dir.join("scratch")).expect("mkdir scratch");
        std::fs::write(dir.join("tsa/serial"), "01\n").expect("tsa serial");

        // Keys, in parallel (RSA key generation is most of the time spent here).
        let mut keygens: Vec<(&str, std::process::Child)> = Vec::new();
        for (name, key) in [
            ("root", KeyKind::Rsa2048),
            ("intermediate", KeyKind::Rsa2048),
        ]
        .into_iter()
        .chain(ISSUED.iter().map(|p| (p.name, p.key)))
        {
            let mut cmd = Command::new("openssl");
            cmd.current_dir(&dir)
                .args(["genpkey", "-out", &format!("{name}/key.pem")])
                .args(match key {
                    KeyKind::Rsa2048 | KeyKind::Rsa2048Pss => {
                        ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
                    }
                    KeyKind::EcP256 => ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                    KeyKind::EcP384 => ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
                })
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            keygens.push((
                name,
                cmd.spawn()
                    .unwrap_or_else(|e| panic!("run openssl ({e}); is OpenSSL 3 installed?")),
            ));
        }
        for (name, child) in keygens {
            let out = child.wait_with_output().expect("wait for openssl genpkey");
            assert!(
                out.status.success(),
                "openssl genpkey for {name}:\n{}",
                describe(&out)
            );
        }

        let date = |days: i64| utc_time(now + Duration::days(days));
        // Root: self-signed through `openssl ca -selfsign`, which (unlike `req -x509` in
        // OpenSSL 3.0) takes a start date in the past.
        openssl(
            &dir,
            words("req -new -config openssl.cnf -utf8 -key root/key.pem -out root/req.pem")
                .chain(["-subj".into(), ROOT_SUBJECT.into()]),
        );
        openssl(
            &dir,
            words(&format!(
                "ca -batch -config openssl.cnf -name ca_root -selfsign -keyfile root/key.pem \
                 -in root/req.pem -out root/cert.pem -extensions v3_root -startdate {} -enddate {} \
                 -rand_serial -utf8 -preserveDN -notext",
                date(-730),
                date(3650)
            )),
        );
        issue(
            &dir,
            "ca_root",
            "root",
            "intermediate",
            INTERMEDIATE_SUBJECT,
            "v3_intermediate",
            (&date(-500), &date(1825)),
        );
        for plan in ISSUED {
            issue(
                &dir,
                "ca_intermediate",
                "intermediate",
                plan.name,
                plan.subject,
                plan.extensions,
                (&date(plan.days.0), &date(plan.days.1)),
            );
        }

        // Revoke one, then set its revocation date in the CA database to a day ago, so that
        // "valid before, revoked after" has room on both sides of now.
        let revoked_at = now - Duration::days(1);
        openssl(
            &dir,
            words(
                "ca -config openssl.cnf -name ca_intermediate -keyfile intermediate/key.pem \
                 -cert intermediate/cert.pem -revoke revoked/cert.pem \
                 -crl_reason cessationOfOperation",
            ),
        );
        let index_path = dir.join("intermediate/index.txt");
        let index = std::fs::read_to_string(&index_path).expect("read index.txt");
        let mut rewritten = String::new();
        for line in index.lines() {
            let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
            if fields[0] == "R" {
                let reason = fields[2].split_once(',').map(|(_, r)| r.to_string());
                fields[2] = match reason {
                    Some(r) => format!("{},{r}", utc_time(revoked_at)),
                    None => utc_time(revoked_at),
                };
            }
            rewritten.push_str(&fields.join("\t"));
            rewritten.push('\n');
        }
        std::fs::write(&index_path, rewritten).expect("write index.txt");

        // CRLs, valid 30 days, DER beside PEM.
        for (ca, name) in [("ca_root", "root"), ("ca_intermediate", "intermediate")] {
            openssl(
                &dir,
                words(&format!(
                    "ca -config openssl.cnf -name {ca} -gencrl -keyfile {name}/key.pem \
                     -cert {name}/cert.pem -out {name}/crl.pem"
                )),
            );
            openssl(
                &dir,
                words(&format!(
                    "crl -in {name}/crl.pem -outform DER -out {name}/crl.der"
                )),
            );
        }

        let cert = |name: &'static str, key: KeyKind| load_cert(&dir, name, key);
        let plan = |name: &str| ISSUED.iter().find(|p| p.name == name).expect("planned").key;
        let pki = TestPki {
            root: cert("root", KeyKind::Rsa2048),
            intermediate: cert("intermediate", KeyKind::Rsa2048),
            ocsp_responder: cert("ocsp_responder", plan("ocsp_responder")),
            tsa: cert("tsa", plan("tsa")),
            leader: cert("leader", plan("leader")),
            agency: cert("agency", plan("agency")),
            expired: cert("expired", plan("expired")),
            revoked: cert("revoked", plan("revoked")),
            ecdsa_p256: cert("ecdsa_p256", plan("ecdsa_p256")),
            ecdsa_p384: cert("ecdsa_p384", plan("ecdsa_p384")),
            rsa_pss: cert("rsa_pss", plan("rsa_pss")),
            revoked_at,
            created_at: now,
            ocsp_port,
            http_port,
            services: Arc::new(services::Slots::default()),
            scratch: AtomicUsize::new(0),
            dir,
        };
        eprintln!(
            "test PKI made in {} in {:.2?}",
            pki.dir.display(),
            started.elapsed()
        );
        pki
    }

    /// One PKI per test process, made on first use in a fresh folder under the system temporary
    /// folder (`stele-test-pki-<pid>`; folders of earlier processes that have ended are removed).
    /// Tests that need the services in a state other tests do not expect (say OCSP down while
    /// another test wants it up) make their own with [`TestPki::create`].
    pub fn shared() -> &'static TestPki {
        static SHARED: OnceLock<TestPki> = OnceLock::new();
        SHARED.get_or_init(|| {
            let tmp = std::env::temp_dir();
            remove_stale_shared_dirs(&tmp);
            let dir = tmp.join(format!("stele-test-pki-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            TestPki::create(&dir)
        })
    }

    /// The folder the PKI lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The root certificate (PEM): the one trust anchor.
    pub fn trust_anchor(&self) -> &Path {
        &self.root.cert_pem
    }

    /// The intermediate certificate (PEM), the untrusted chain of every end-entity.
    pub fn chain_pem(&self) -> &Path {
        &self.intermediate.cert_pem
    }

    /// The end-entity signers, in a fixed order: leader, agency, expired, revoked, ecdsa_p256,
    /// ecdsa_p384, rsa_pss.
    pub fn signers(&self) -> [&Cert; 7] {
        [
            &self.leader,
            &self.agency,
            &self.expired,
            &self.revoked,
            &self.ecdsa_p256,
            &self.ecdsa_p384,
            &self.rsa_pss,
        ]
    }

    /// The intermediate's CRL (DER): lists `revoked`; valid 30 days from [`TestPki::created_at`].
    pub fn crl_der(&self) -> Vec<u8> {
        read(&self.crl_der_path())
    }

    /// Where [`TestPki::crl_der`] is.
    pub fn crl_der_path(&self) -> PathBuf {
        self.dir.join("intermediate/crl.der")
    }

    /// The root's CRL (DER): lists nothing; the intermediate's distribution point.
    pub fn root_crl_der(&self) -> Vec<u8> {
        read(&self.dir.join("root/crl.der"))
    }

    /// The OCSP URL in the end-entities' AIA: `http://127.0.0.1:<ocsp_port>/`.
    pub fn ocsp_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.ocsp_port)
    }

    /// The end-entities' CRL distribution point: `http://127.0.0.1:<http_port>/intermediate.crl`.
    pub fn crl_url(&self) -> String {
        format!("http://127.0.0.1:{}/intermediate.crl", self.http_port)
    }

    /// The intermediate's CRL distribution point: `http://127.0.0.1:<http_port>/root.crl`.
    pub fn root_crl_url(&self) -> String {
        format!("http://127.0.0.1:{}/root.crl", self.http_port)
    }

    /// The OpenSSL configuration file of this PKI (CA sections, extensions, the TSA section).
    pub fn openssl_config(&self) -> PathBuf {
        self.dir.join("openssl.cnf")
    }

    /// A new path in this PKI's scratch folder (nothing is there yet).
    pub(crate) fn scratch_path(&self, suffix: &str) -> PathBuf {
        let n = self.scratch.fetch_add(1, Ordering::Relaxed);
        self.dir.join("scratch").join(format!("{n}-{suffix}"))
    }

    /// Detached CMS SignedData over `content` by `signer`, from `openssl cms -sign -binary -md
    /// <digest> -cades` (signingTime, signingCertificateV2, the intermediate in `certificates`).
    /// `ber`: with `-stream`, so the output uses indefinite lengths (and, since OpenSSL then always
    /// embeds the content, with the eContent cut out again); else DER. Panics for BER with
    /// [`KeyKind::Rsa2048Pss`], which OpenSSL 3.0 cannot stream.
    pub fn sign_cms_detached(&self, content: &[u8], signer: &Cert, ber: bool) -> Vec<u8> {
        self.sign_cms(content, signer, ber, true)
    }

    /// Like [`TestPki::sign_cms_detached`] with the content inside (`-nodetach`).
    pub fn sign_cms_enveloping(&self, content: &[u8], signer: &Cert, ber: bool) -> Vec<u8> {
        self.sign_cms(content, signer, ber, false)
    }

    fn sign_cms(&self, content: &[u8], signer: &Cert, ber: bool, detached: bool) -> Vec<u8> {
        assert!(
            !(ber && signer.key == KeyKind::Rsa2048Pss),
            "OpenSSL 3.0 cannot stream an RSASSA-PSS signature (`openssl cms -sign -stream -keyopt \
             rsa_padding_mode:pss` fails with \"illegal zero content\"): sign with rsa_pss in DER"
        );
        let input = self.scratch_path("content.bin");
        let output = self.scratch_path("signed.p7s");
        std::fs::write(&input, content).expect("write CMS content");
        let mut args: Vec<&OsStr> = [
            "cms",
            "-sign",
            "-binary",
            "-cades",
            "-md",
            signer.key.digest(),
            "-outform",
            "DER",
        ]
        .into_iter()
        .map(OsStr::new)
        .collect();
        args.extend([
            OsStr::new("-signer"),
            signer.cert_pem.as_os_str(),
            OsStr::new("-inkey"),
            signer.key_pem.as_os_str(),
            OsStr::new("-certfile"),
            self.intermediate.cert_pem.as_os_str(),
            OsStr::new("-in"),
            input.as_os_str(),
            OsStr::new("-out"),
            output.as_os_str(),
        ]);
        // OpenSSL's `-stream` puts the content in even when signing detached (DER output), so a
        // detached BER signature is the streamed enveloping one with its eContent cut out below.
        if !detached || ber {
            args.push(OsStr::new("-nodetach"));
        }
        args.push(OsStr::new(if ber { "-stream" } else { "-noindef" }));
        if signer.key == KeyKind::Rsa2048Pss {
            args.extend(
                [
                    "-keyopt",
                    "rsa_padding_mode:pss",
                    "-keyopt",
                    "rsa_pss_saltlen:32",
                ]
                .map(OsStr::new),
            );
        }
        openssl(&self.dir, args);
        let mut cms = read(&output);
        let _ = std::fs::remove_file(&input);
        let _ = std::fs::remove_file(&output);
        if detached && ber {
            cms = cut_econtent_from_ber(&cms);
        }
        cms
    }
}

/// Removes `eContent` from a streamed (BER) SignedData whose `encapContentInfo` and everything
/// around it use indefinite lengths, so no length changes. The signature does not cover the
/// encoding of eContent (only its digest, in the signed attributes), so it stays valid as a
/// detached signature.
fn cut_econtent_from_ber(cms: &[u8]) -> Vec<u8> {
    // Enters the constructed, indefinite-length element at `pos`: the position of its first child.
    let enter = |pos: usize, tag: u8| {
        assert_eq!(
            (cms[pos], cms[pos + 1]),
            (tag, 0x80),
            "expected tag {tag:#04x} with indefinite length at {pos} of the streamed CMS"
        );
        pos + 2
    };
    let content_info = enter(0, 0x30);
    let explicit = enter(ber_end(cms, content_info), 0xa0); // after contentType
    let signed_data = enter(explicit, 0x30);
    let digest_algorithms = ber_end(cms, signed_data); // after version
    let encap = ber_end(cms, digest_algorithms);
    let econtent = ber_end(cms, enter(encap, 0x30)); // after eContentType
    assert_eq!(cms[econtent], 0xa0, "no eContent in the streamed CMS");
    let after = ber_end(cms, econtent);
    [&cms[..econtent], &cms[after..]].concat()
}

/// Where the BER element starting at `pos` ends (definite or indefinite length; low tag numbers).
fn ber_end(der: &[u8], pos: usize) -> usize {
    assert!(
        der[pos] & 0x1f != 0x1f,
        "high tag numbers are not expected here"
    );
    let first = der[pos + 1];
    if first == 0x80 {
        let mut child = pos + 2;
        while der[child..child + 2] != [0, 0] {
            child = ber_end(der, child);
        }
        child + 2
    } else if first < 0x80 {
        pos + 2 + first as usize
    } else {
        let n = (first & 0x7f) as usize;
        let len = der[pos + 2..pos + 2 + n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        pos + 2 + n + len
    }
}

/// Runs `openssl` in `dir`; panics with its output if it fails.
pub fn openssl<I, S>(dir: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<S> = args.into_iter().collect();
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("run openssl ({e}); is OpenSSL 3 installed?"));
    assert!(
        out.status.success(),
        "openssl {} (in {}):\n{}",
        args.iter()
            .map(|a| a.as_ref().to_string_lossy())
            .collect::<Vec<_>>()
            .join(" "),
        dir.display(),
        describe(&out)
    );
    out
}

/// The words of a command line whose arguments hold no spaces (paths relative to the PKI folder).
fn words(line: &str) -> impl Iterator<Item = String> + '_ {
    line.split_whitespace().map(str::to_string)
}

/// Issues `name` (key already in `<name>/key.pem`) by `ca`.
fn issue(
    dir: &Path,
    ca_section: &str,
    ca: &str,
    name: &str,
    subject: &str,
    extensions: &str,
    (start, end): (&str, &str),
) {
    openssl(
        dir,
        words(&format!(
            "req -new -config openssl.cnf -utf8 -key {name}/key.pem -out {name}/req.pem"
        ))
        .chain(["-subj".into(), subject.into()]),
    );
    openssl(
        dir,
        words(&format!(
            "ca -batch -config openssl.cnf -name {ca_section} -keyfile {ca}/key.pem \
             -cert {ca}/cert.pem -in {name}/req.pem -out {name}/cert.pem -extensions {extensions} \
             -startdate {start} -enddate {end} -rand_serial -utf8 -preserveDN -notext"
        )),
    );
}

fn load_cert(dir: &Path, name: &'static str, key: KeyKind) -> Cert {
    let pem = format!("{name}/cert.pem");
    let der = format!("{name}/cert.der");
    openssl(dir, ["x509", "-in", &pem, "-outform", "DER", "-out", &der]);
    let out = openssl(
        dir,
        words(&format!(
            "x509 -in {pem} -noout -serial -subject -startdate -enddate \
             -nameopt utf8,sep_comma_plus_space"
        )),
    );
    let text = String::from_utf8(out.stdout).expect("openssl x509 prints UTF-8");
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in openssl x509 output:\n{text}"))
            .trim()
            .to_string()
    };
    Cert {
        name,
        subject: field("subject="),
        serial: field("serial="),
        cert_pem: dir.join(&pem),
        cert_der: dir.join(&der),
        key_pem: dir.join(format!("{name}/key.pem")),
        key,
        not_before: parse_openssl_date(&field("notBefore=")),
        not_after: parse_openssl_date(&field("notAfter=")),
    }
}

/// `Jan  1 00:00:00 2025 GMT` (what `openssl x509 -startdate` prints).
fn parse_openssl_date(s: &str) -> OffsetDateTime {
    let parts: Vec<&str> = s.split_whitespace().collect();
    assert!(parts.len() == 5 && parts[4] == "GMT", "odd date {s:?}");
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == parts[0])
    .unwrap_or_else(|| panic!("odd month in {s:?}"));
    let num = |t: &str| -> i32 { t.parse().unwrap_or_else(|_| panic!("odd date {s:?}")) };
    let hms: Vec<i32> = parts[2].split(':').map(num).collect();
    let date = time::Date::from_calendar_date(
        num(parts[3]),
        time::Month::try_from(month as u8 + 1).expect("month"),
        num(parts[1]) as u8,
    )
    .expect("date");
    date.with_hms(hms[0] as u8, hms[1] as u8, hms[2] as u8)
        .expect("time")
        .assume_utc()
}

/// `YYMMDDHHMMSSZ`, what `openssl ca -startdate` and the CA database take.
fn utc_time(t: OffsetDateTime) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn remove_stale_shared_dirs(tmp: &Path) {
    // Whether a process is alive is read from /proc; without it, leave everything alone.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("stele-test-pki-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The OpenSSL configuration: both CAs, the extensions of each kind of certificate (with the
/// loopback URLs), CRL extensions and the TSA.
fn config(ocsp_port: u16, http_port: u16) -> String {
    let http = format!("http://127.0.0.1:{http_port}");
    let ocsp = format!("http://127.0.0.1:{ocsp_port}/");
    let ca = |name: &str| {
        format!(
            "[ ca_{name} ]\n\
             dir = {name}\n\
             database = $dir/index.txt\n\
             serial = $dir/serial\n\
             crlnumber = $dir/crlnumber\n\
             new_certs_dir = $dir\n\
             default_md = sha256\n\
             default_crl_days = 30\n\
             crl_extensions = crl_ext\n\
             policy = policy_any\n\
             unique_subject = no\n\
             copy_extensions = none\n\n"
        )
    };
    let end_entity = format!(
        "basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, nonRepudiation\n\
         extendedKeyUsage = clientAuth, emailProtection\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid:always\n\
         crlDistributionPoints = URI:{http}/intermediate.crl\n\
         authorityInfoAccess = OCSP;URI:{ocsp}, caIssuers;URI:{http}/intermediate.cer\n"
    );
    format!(
        "# Made by stele-tests (tests/src/pki.rs).\n\
         [ req ]\n\
         distinguished_name = req_dn\n\
         string_mask = utf8only\n\
         utf8 = yes\n\
         [ req_dn ]\n\n\
         {root}{intermediate}\
         [ policy_any ]\n\
         commonName = supplied\n\n\
         [ v3_root ]\n\
         basicConstraints = critical, CA:TRUE\n\
         keyUsage = critical, keyCertSign, cRLSign\n\
         subjectKeyIdentifier = hash\n\n\
         [ v3_intermediate ]\n\
         basicConstraints = critical, CA:TRUE, pathlen:0\n\
         keyUsage = critical, keyCertSign, cRLSign\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid:always\n\
         crlDistributionPoints = URI:{http}/root.crl\n\
         authorityInfoAccess = caIssuers;URI:{http}/root.cer\n\n\
         [ signer ]\n{end_entity}\n\
         [ signer_leader ]\n{end_entity}subjectAltName = email:nvan@hagiang.gov.vn\n\n\
         [ signer_agency ]\n{end_entity}subjectAltName = email:ubnd@hagiang.gov.vn\n\n\
         [ ocsp_signer ]\n\
         basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature\n\
         extendedKeyUsage = critical, OCSPSigning\n\
         noCheck = ignored\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid:always\n\n\
         [ tsa_signer ]\n\
         basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, nonRepudiation\n\
         extendedKeyUsage = critical, timeStamping\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid:always\n\
         crlDistributionPoints = URI:{http}/intermediate.crl\n\n\
         [ crl_ext ]\n\
         authorityKeyIdentifier = keyid:always\n\n\
         [ tsa_config ]\n\
         dir = .\n\
         serial = tsa/serial\n\
         crypto_device = builtin\n\
         signer_cert = tsa/cert.pem\n\
         certs = intermediate/cert.pem\n\
         signer_key = tsa/key.pem\n\
         signer_digest = sha256\n\
         default_policy = 1.3.6.1.4.1.99999.2025.1\n\
         digests = sha256, sha384, sha512\n\
         accuracy = secs:1\n\
         ordering = no\n\
         tsa_name = yes\n\
         ess_cert_id_chain = no\n\
         ess_cert_id_alg = sha256\n",
        root = ca("root"),
        intermediate = ca("intermediate"),
    )
}
