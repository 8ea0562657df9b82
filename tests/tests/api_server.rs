//! The HTTP API as a client meets it (issue 5): `stele serve` on loopback, real HTTP requests,
//! every JSON answer checked against `schemas/openapi.yaml`. Roles: a reader never sees a
//! secret record anywhere (hits, totals, facets, the record, its files, statistics); an
//! archivist uploads (streamed, capped: an oversized upload leaves the archive as it was); legal
//! verifies at a date and exports.

use std::path::PathBuf;
use std::process::Command;

use reqwest::blocking::{multipart, Client, Response};
use serde_json::Value;
use stele_tests::archive::{archived_ids, fresh_archive, ok, rfc, signed_cong_van, stele_at};
use stele_tests::describe;
use stele_tests::pki::TestPki;
use stele_tests::schemas::{schemas_dir, SchemaFolder};
use stele_tests::serve::{add_token, Server};
use time::OffsetDateTime;

/// Validators of the API's answers, from `schemas/openapi.yaml`.
struct Api {
    doc: Value,
}

impl Api {
    fn load() -> Api {
        let text = std::fs::read_to_string(schemas_dir().join("openapi.yaml")).unwrap();
        let doc: Value = serde_yaml::from_str(&text).expect("openapi.yaml is YAML");
        assert_eq!(doc["openapi"], "3.1.0");
        Api { doc }
    }

    /// Checks a JSON answer against the schema documented for `path` `method` and its status.
    fn check(&self, template: &str, method: &str, status: u16, body: &Value) {
        let op = &self.doc["paths"][template][method];
        assert!(op.is_object(), "{method} {template} is not documented");
        let mut response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {template} does not document status {status}: {body}"
        );
        if let Some(r) = response["$ref"].as_str() {
            let name = r.rsplit('/').next().unwrap();
            response = &self.doc["components"]["responses"][name];
        }
        let schema = &response["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} {status} has no JSON schema"
        );
        // The operation's schema under a root that holds the components, so `#/components/…`
        // resolves; Stele's own schemas come from the schemas/ folder.
        let root = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://stele.example/schemas/openapi.json",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        let v = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_retriever(SchemaFolder)
            .build(&root)
            .unwrap_or_else(|e| panic!("{method} {template} {status}: schema: {e}"));
        let errors: Vec<String> = v
            .iter_errors(body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: {errors:#?}\n{body:#}"
        );
    }
}

fn meta(number: &str, subject: &str, date: &str, secret: bool) -> String {
    serde_json::json!({
        "OrganId": "000.00.00.H12", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
        "CodeNumber": number, "CodeNotation": "UBND-VP", "TypeName": "Công văn",
        "IssuedDate": date, "Subject": subject,
        "Confidentiality": if secret { "Mật" } else { "none" },
        "Retention": "01", "AccessMode": if secret { "03" } else { "01" },
    })
    .to_string()
}

fn json_of(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    let v =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}"));
    (status, v)
}

struct Setup {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    now: OffsetDateTime,
    public: String,
    secret: String,
    public_bytes: Vec<u8>,
    secret_bytes: Vec<u8>,
}

/// An archive with two signed letters, one of them secret, sealed.
fn archive(pki: &TestPki) -> Setup {
    let now = pki.created_at + time::Duration::days(1);
    let (tmp, home) = fresh_archive(pki, now);
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let public_bytes = signed_cong_van(pki, 410, "V/v triển khai chữ ký số cho văn bản đi.");
    std::fs::write(docs.join("cv-410.p7m"), &public_bytes).unwrap();
    std::fs::write(
        docs.join("cv-410.p7m.meta.json"),
        meta("410", "Triển khai chữ ký số", "2026-05-04", false),
    )
    .unwrap();
    let secret_bytes = signed_cong_van(
        pki,
        412,
        "V/v bảo vệ hệ thống chữ ký số chuyên dùng, tài liệu mật.",
    );
    std::fs::write(docs.join("cv-411.p7m"), &secret_bytes).unwrap();
    std::fs::write(
        docs.join("cv-411.p7m.meta.json"),
        meta(
            "412",
            "Bảo vệ hệ thống chữ ký số chuyên dùng",
            "2026-05-05",
            true,
        ),
    )
    .unwrap();
    let out = ok(stele_at(
        &home,
        now,
        &["ingest", "--json", "--recursive", docs.to_str().unwrap()],
    ));
    let ids = archived_ids(&out);
    ok(stele_at(&home, now, &["seal"]));
    Setup {
        public: ids["cv-410"].clone(),
        secret: ids["cv-411"].clone(),
        _tmp: tmp,
        home,
        now,
        public_bytes,
        secret_bytes,
    }
}

#[test]
fn roles_and_clearance_over_real_http() {
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let s = archive(pki);
    let reader = add_token(&s.home, s.now, "reader1", "reader", false);
    let cleared = add_token(&s.home, s.now, "admin1", "admin", true);
    let legal = add_token(&s.home, s.now, "legal1", "legal", false);
    let server = Server::start(&s.home, s.now);
    let api = Api::load();
    let http = Client::new();
    let get = |path: &str, tok: Option<&str>| {
        let mut r = http.get(server.url(path));
        if let Some(t) = tok {
            r = r.bearer_auth(t);
        }
        r.send().unwrap()
    };

    // No token: only health answers; an unknown token is refused, not treated as anonymous.
    let (st, v) = json_of(get("/api/v1/health", None));
    api.check("/api/v1/health", "get", st, &v);
    let r = get("/api/v1/search?q=chu+ky+so", None);
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers().get("www-authenticate").is_some());
    let (st, v) = json_of(r);
    api.check("/api/v1/search", "get", st, &v);
    assert_eq!(v["error"]["code"], "unauthenticated");
    let (st, v) = json_of(get("/api/v1/search?q=x", Some("stl_not-a-token")));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );

    let (st, v) = json_of(get("/api/v1/whoami", Some(&reader)));
    api.check("/api/v1/whoami", "get", st, &v);
    assert_eq!(
        (v["role"].as_str(), v["clearance"].as_bool()),
        (Some("reader"), Some(false))
    );

    // The reader's search: the secret letter is in no hit, total or facet.
    let (st, v) = json_of(get("/api/v1/search?q=chu+ky+so&facets=true", Some(&reader)));
    api.check("/api/v1/search", "get", st, &v);
    assert_eq!(v["total"], 1, "{v:#}");
    assert_eq!(v["hits"][0]["id"], s.public.as_str());
    let text = v.to_string();
    assert!(
        !text.contains(&s.secret) && !text.contains("Mật") && !text.contains("bảo vệ"),
        "{v:#}"
    );
    let (_, v) = json_of(get(
        "/api/v1/search?q=&confidentiality=M%E1%BA%ADt&facets=true",
        Some(&reader),
    ));
    assert_eq!(v["total"], 0, "{v:#}");
    // With clearance both, and the facet names the level.
    let (st, v) = json_of(get(
        "/api/v1/search?q=chu+ky+so&facets=true",
        Some(&cleared),
    ));
    api.check("/api/v1/search", "get", st, &v);
    assert_eq!(v["total"], 2, "{v:#}");
    assert!(
        v["facets"]["confidentiality"].to_string().contains("Mật"),
        "{v:#}"
    );
    // facet_limit keeps each facet's most frequent values; the total still counts all.
    let (st, v) = json_of(get(
        "/api/v1/search?q=chu+ky+so&facets=true&facet_limit=1",
        Some(&cleared),
    ));
    api.check("/api/v1/search", "get", st, &v);
    assert_eq!(v["total"], 2, "{v:#}");
    assert_eq!(
        v["facets"]["confidentiality"].as_array().map(Vec::len),
        Some(1),
        "{v:#}"
    );
    let (st, v) = json_of(get(
        "/api/v1/search?q=chu+ky+so&facets=true&facet_limit=-1",
        Some(&cleared),
    ));
    api.check("/api/v1/search", "get", st, &v);
    assert_eq!(st, 400, "{v:#}");
    assert!(
        v["error"]["message"].to_string().contains("facet_limit"),
        "{v:#}"
    );

    // The secret record by id answers exactly like a record that does not exist.
    let missing = "0".repeat(64);
    let (st1, v1) = json_of(get(&format!("/api/v1/records/{}", s.secret), Some(&reader)));
    let (st2, v2) = json_of(get(&format!("/api/v1/records/{missing}"), Some(&reader)));
    api.check("/api/v1/records/{id}", "get", st1, &v1);
    assert_eq!((st1, &v1["error"]["code"]), (st2, &v2["error"]["code"]));
    assert_eq!(st1, 404);
    assert!(!v1.to_string().contains("Mật"));
    for path in [
        format!("/api/v1/records/{}/files/0", s.secret),
        format!("/api/v1/records/{}/verification", s.secret),
    ] {
        let (st, v) = json_of(get(&path, Some(&reader)));
        assert!(st == 404 || st == 403, "{path}: {st} {v}");
        assert!(!v.to_string().contains("Bảo vệ"), "{path}: {v}");
    }
    let (st, v) = json_of(get(
        &format!("/api/v1/records/{}/verification", s.secret),
        Some(&legal),
    ));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (404, Some("no_such_record")),
        "legal has no clearance"
    );

    // Records and files for the reader; the original byte for byte.
    let (st, v) = json_of(get(&format!("/api/v1/records/{}", s.public), Some(&reader)));
    api.check("/api/v1/records/{id}", "get", st, &v);
    assert_eq!(v["id"], s.public.as_str());
    let r = get(
        &format!("/api/v1/records/{}/files/0", s.public),
        Some(&reader),
    );
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("cv-410.p7m"));
    assert_eq!(r.bytes().unwrap().as_ref(), s.public_bytes.as_slice());
    let (st, v) = json_of(get(
        &format!("/api/v1/records/{}/files/9", s.public),
        Some(&reader),
    ));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (404, Some("no_such_file"))
    );

    // Verification: not for a reader; legal gets the report, at a date, ten years on.
    let path = format!("/api/v1/records/{}/verification", s.public);
    let (st, v) = json_of(get(&path, Some(&reader)));
    api.check("/api/v1/records/{id}/verification", "get", st, &v);
    assert_eq!(st, 403);
    let (st, v) = json_of(get(&path, Some(&legal)));
    api.check("/api/v1/records/{id}/verification", "get", st, &v);
    assert_eq!(v["verdict"], "PASSED", "{v:#}");
    let (st, v) = json_of(get(&format!("{path}?at=yesterday"), Some(&legal)));
    api.check("/api/v1/records/{id}/verification", "get", st, &v);
    assert_eq!(st, 400);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("at"),
        "{v}"
    );
    let (st, v) = json_of(get(&format!("{path}?at=2026-05-06"), Some(&legal)));
    assert_eq!(st, 200, "{v}");
    // A date that does not exist is named as a date, its month out of range.
    let (st, v) = json_of(get(&format!("{path}?at=2026-13-01"), Some(&legal)));
    assert_eq!(st, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("month"),
        "{v}"
    );

    // Bad parameters are named.
    let (st, v) = json_of(get("/api/v1/search?q=x&from=2026-13-01", Some(&reader)));
    api.check("/api/v1/search", "get", st, &v);
    assert!(
        v["error"]["message"].as_str().unwrap().starts_with("from:"),
        "{v}"
    );
    let (st, v) = json_of(get("/api/v1/search?q=x&limit=-1", Some(&reader)));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("bad_parameter"))
    );
    for (query, named) in [
        ("/api/v1/search?q=x&facets=maybe", "facets"),
        ("/api/v1/stats?format=svg&lang=fr", "lang"),
        // axum's own refusals (a parameter twice), in the API's JSON, on every API route.
        ("/api/v1/search?q=a&q=b", "q"),
        ("/api/v1/stats?by=agency&by=month", "by"),
    ] {
        let (st, v) = json_of(get(query, Some(&reader)));
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("bad_parameter")),
            "{query}: {v}"
        );
        assert!(
            v["error"]["message"].as_str().unwrap().contains(named),
            "{query}: {v}"
        );
    }
    // No such path, or a method a path does not take: JSON errors as well.
    let (st, v) = json_of(get("/api/v1/nonexistent", Some(&reader)));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (404, Some("no_such_route"))
    );
    let r = http
        .delete(server.url(&format!("/api/v1/records/{}", s.public)))
        .bearer_auth(&reader)
        .send()
        .unwrap();
    assert!(r.headers().get("allow").is_some());
    let (st, v) = json_of(r);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let r = http
        .post(server.url("/api/v1/stats"))
        .bearer_auth(&reader)
        .send()
        .unwrap();
    let (st, v) = json_of(r);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );

    // The plan counts each chain's records, secret ones too: clearance is needed.
    let (st, v) = json_of(get("/api/v1/renewal", Some(&reader)));
    api.check("/api/v1/renewal", "get", st, &v);
    assert_eq!((st, v["error"]["code"].as_str()), (403, Some("forbidden")));
    let (st, v) = json_of(get("/api/v1/renewal", Some(&cleared)));
    api.check("/api/v1/renewal", "get", st, &v);
    assert_eq!(st, 200, "{v}");
    assert!(
        v["chains"].as_array().is_some_and(|c| !c.is_empty()),
        "{v:#}"
    );
    assert!(
        v["audit_log"]["chains"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{v:#}"
    );

    // Export: not for a reader; legal downloads the package `stele export` writes, whole.
    let path = format!("/api/v1/records/{}/export", s.public);
    let (st, v) = json_of(get(&path, Some(&reader)));
    api.check("/api/v1/records/{id}/export", "get", st, &v);
    assert_eq!(st, 403);
    let (st, v) = json_of(get(
        &format!("/api/v1/records/{}/export", s.secret),
        Some(&legal),
    ));
    api.check("/api/v1/records/{id}/export", "get", st, &v);
    assert_eq!(st, 404);
    // A year on (the built-in TSA's certificate, unrenewed, lasts three).
    let year_on = rfc(s.now + time::Duration::days(365));
    let r = get(&format!("{path}?at={year_on}"), Some(&legal));
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let zip = r.bytes().unwrap();
    let unpacked = s.home.parent().unwrap().join("download");
    std::fs::create_dir_all(&unpacked).unwrap();
    std::fs::write(unpacked.join("p.zip"), &zip).unwrap();
    let out = Command::new("python3")
        .args(["-m", "zipfile", "-e", "p.zip", "pkg"])
        .current_dir(&unpacked)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let pkg = unpacked.join("pkg");
    assert_eq!(
        std::fs::read(pkg.join("original/cv-410.p7m")).unwrap(),
        s.public_bytes
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(pkg.join("verification.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "PASSED", "{report:#}");
    assert_eq!(report["verification_time"], year_on.as_str());
    let out = Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&pkg)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));

    // The QR code of a record leads to its public page: verdict and identity, no sign-in;
    // for the secret record the verdict only. A wrong code is an unknown record.
    let r = get(
        &format!("/api/v1/records/{}/qr.svg", s.public),
        Some(&reader),
    );
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let public_url = r.headers()["x-verification-url"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(r.text().unwrap().contains("<svg"));
    let (st, _) = json_of(get(
        &format!("/api/v1/records/{}/qr.svg", s.secret),
        Some(&reader),
    ));
    assert_eq!(st, 404);
    let r = get(
        &format!("/api/v1/records/{}/qr.svg", s.secret),
        Some(&cleared),
    );
    let secret_url = r.headers()["x-verification-url"]
        .to_str()
        .unwrap()
        .to_string();
    let path_of = |url: &str| url.split_once("/v/").map(|(_, p)| p.to_string()).unwrap();
    let (st, v) = json_of(get(
        &format!("/api/v1/public/{}", path_of(&public_url)),
        None,
    ));
    api.check("/api/v1/public/{id}/{code}", "get", st, &v);
    assert_eq!(
        (v["verdict"].as_str(), v["secret"].as_bool()),
        (Some("PASSED"), Some(false)),
        "{v}"
    );
    assert_eq!(v["number_notation"], "410/UBND-VP");
    let (st, v) = json_of(get(
        &format!("/api/v1/public/{}", path_of(&secret_url)),
        None,
    ));
    api.check("/api/v1/public/{id}/{code}", "get", st, &v);
    assert_eq!(
        (v["verdict"].as_str(), v["secret"].as_bool()),
        (Some("PASSED"), Some(true)),
        "{v}"
    );
    assert!(
        v.get("subject").is_none() && v.get("agency").is_none(),
        "{v}"
    );
    // "412/", not "412": the record id is hex and may hold those digits.
    assert!(
        v.get("number_notation").is_none()
            && !v.to_string().contains("Bảo vệ")
            && !v.to_string().contains("412/"),
        "{v}"
    );
    let mut wrong = path_of(&public_url);
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'a' { 'b' } else { 'a' });
    let (st, v) = json_of(get(&format!("/api/v1/public/{wrong}"), None));
    api.check("/api/v1/public/{id}/{code}", "get", st, &v);
    assert_eq!(st, 404);
    let r = get(&format!("/v/{}", path_of(&public_url)), None);
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().unwrap();
    assert!(
        page.contains("HỢP LỆ") && page.contains("Triển khai chữ ký số"),
        "{page}"
    );

    // Signing rates: the secret letter counts for nobody, clearance or not.
    for tok in [&reader, &cleared] {
        let (st, v) = json_of(get("/api/v1/stats?by=agency,month", Some(tok)));
        api.check("/api/v1/stats", "get", st, &v);
        assert_eq!(v["total"]["issued"], 1, "{v:#}");
        assert_eq!(v["total"]["personal"], 1, "{v:#}");
    }
    let r = get("/api/v1/stats?format=csv", Some(&reader));
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.text().unwrap().starts_with("agency,agency_id,month"));
    let r = get("/api/v1/stats?format=svg", Some(&reader));
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let (st, v) = json_of(get("/api/v1/stats?from=2026-13", Some(&reader)));
    api.check("/api/v1/stats", "get", st, &v);
    assert!(
        v["error"]["message"].as_str().unwrap().starts_with("from:"),
        "{v}"
    );

    // Every access above is in the audit log, under the token's name; only an admin with
    // clearance reads it, since entries name the secret record too.
    let (st, v) = json_of(get("/api/v1/audit-log", Some(&reader)));
    api.check("/api/v1/audit-log", "get", st, &v);
    assert_eq!(st, 403);
    let uncleared_admin = add_token(&s.home, s.now, "admin2", "admin", false);
    let (st, v) = json_of(get("/api/v1/audit-log", Some(&uncleared_admin)));
    api.check("/api/v1/audit-log", "get", st, &v);
    assert_eq!(st, 403, "{v}");
    assert!(!v.to_string().contains(&s.secret), "{v}");
    let (st, v) = json_of(get(
        &format!("/api/v1/audit-log?record={}&limit=1000", s.public),
        Some(&cleared),
    ));
    api.check("/api/v1/audit-log", "get", st, &v);
    let seen: Vec<(String, String)> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Reading the log is itself logged.
    let (_, v) = json_of(get("/api/v1/audit-log?limit=1", Some(&cleared)));
    assert_eq!(v["entries"][0]["actor"], "api:admin1", "{v}");
    assert_eq!(v["entries"][0]["action"], "read", "{v}");
    for (actor, action) in [
        ("api:reader1", "read"),
        ("api:legal1", "verify"),
        ("api:legal1", "export"),
    ] {
        assert!(
            seen.contains(&(actor.to_string(), action.to_string())),
            "no {action} by {actor} in {seen:?}"
        );
    }
    drop(server);
    ok(stele_at(&s.home, s.now, &["audit-log", "verify"]));
}

#[test]
fn upload_is_validated_capped_and_indexed() {
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let s = archive(pki);
    // A small cap, so the oversized upload below is cheap.
    let cfg = s.home.join("stele.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("max_upload_mib = 256", "max_upload_mib = 1"),
    )
    .unwrap();
    let archivist = add_token(&s.home, s.now, "luu.tru", "archivist", false);
    let reader = add_token(&s.home, s.now, "reader1", "reader", false);
    let server = Server::start(&s.home, s.now);
    let api = Api::load();
    let http = Client::new();
    let post = |tok: &str, form: multipart::Form| {
        json_of(
            http.post(server.url("/api/v1/records"))
                .bearer_auth(tok)
                .multipart(form)
                .send()
                .unwrap(),
        )
    };
    let letter = signed_cong_van(pki, 520, "V/v số hóa hồ sơ địa chính cấp xã.");
    let form = || {
        multipart::Form::new()
            .part(
                "file",
                multipart::Part::bytes(letter.clone()).file_name("cv-520.p7m"),
            )
            .text(
                "meta",
                meta("520", "Số hóa hồ sơ địa chính", "2026-06-01", false),
            )
    };
    let records_before = std::fs::read_dir(s.home.join("archive/records"))
        .unwrap()
        .count();

    // A reader may not upload.
    let (st, v) = post(&reader, form());
    api.check("/api/v1/records", "post", st, &v);
    assert_eq!(st, 403);

    // Refused uploads name the problem and store nothing.
    let (st, v) = post(
        &archivist,
        multipart::Form::new().part(
            "file",
            multipart::Part::bytes(letter.clone()).file_name("a.p7m"),
        ),
    );
    api.check("/api/v1/records", "post", st, &v);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("bad_metadata"))
    );
    let (st, v) = post(
        &archivist,
        multipart::Form::new()
            .part("file", multipart::Part::bytes(letter.clone()).file_name("a.p7m"))
            .text("meta", r#"{"OrganName":"x","Subject":"y","IssuedDate":"2026-02-30","Confidentiality":"none","Retention":"01","AccessMode":"01"}"#),
    );
    api.check("/api/v1/records", "post", st, &v);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("IssuedDate"),
        "{v}"
    );
    let (st, v) = post(
        &archivist,
        multipart::Form::new()
            .part(
                "file",
                multipart::Part::bytes(b"just text, no signature".to_vec()).file_name("note.txt"),
            )
            .text("meta", meta("1", "Ghi chú", "2026-06-01", false)),
    );
    api.check("/api/v1/records", "post", st, &v);
    assert_eq!(st, 422, "{v}");
    let big = vec![b'%'; (1 << 20) + 4096];
    let (st, v) = post(
        &archivist,
        multipart::Form::new()
            .part("file", multipart::Part::bytes(big).file_name("big.pdf"))
            .text("meta", meta("2", "Lớn", "2026-06-01", false)),
    );
    api.check("/api/v1/records", "post", st, &v);
    assert_eq!((st, v["error"]["code"].as_str()), (413, Some("too_large")));
    // Every other body keeps axum's 2 MiB limit: a sign-in form one byte over it, which needs
    // no token to send, is refused. (One byte over, so that the server has read all of it
    // before answering and the answer cannot race the body; its own client, never pooled.)
    let over = (2 << 20) + 1 - "token=".len();
    let login = Client::new()
        .post(server.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={}", "a".repeat(over)))
        .send()
        .unwrap();
    assert_eq!(login.status().as_u16(), 413);
    assert_eq!(
        std::fs::read_dir(s.home.join("archive/records"))
            .unwrap()
            .count(),
        records_before,
        "a refused upload stored nothing"
    );

    // The statistics as the dashboard holds them before the upload: the public letter only.
    let issued = || {
        let (_, v) = json_of(
            http.get(server.url("/api/v1/stats"))
                .bearer_auth(&reader)
                .send()
                .unwrap(),
        );
        v["total"]["issued"].as_u64().unwrap()
    };
    assert_eq!(issued(), 1);

    // Archived, then searchable and counted at once; the same bytes again are a duplicate.
    let (st, v) = post(&archivist, form());
    api.check("/api/v1/records", "post", st, &v);
    assert_eq!(
        (st, v["status"].as_str(), v["indication"].as_str()),
        (201, Some("archived"), Some("PASSED")),
        "{v}"
    );
    let id = v["id"].as_str().unwrap().to_string();
    let (_, found) = json_of(
        http.get(server.url("/api/v1/search?q=so+hoa+dia+chinh"))
            .bearer_auth(&reader)
            .send()
            .unwrap(),
    );
    assert_eq!(found["hits"][0]["id"], id.as_str(), "{found:#}");
    assert_eq!(
        issued(),
        2,
        "the upload is counted without waiting for the cache"
    );
    let (st, v) = post(&archivist, form());
    api.check("/api/v1/records", "post", st, &v);
    assert_eq!(
        (st, v["status"].as_str(), v["id"].as_str()),
        (200, Some("duplicate"), Some(id.as_str()))
    );
    // The secret letter's bytes, from an archivist without clearance: a duplicate, unnamed.
    let (st, v) = post(
        &archivist,
        multipart::Form::new()
            .part(
                "file",
                multipart::Part::bytes(s.secret_bytes.clone()).file_name("cv-411.p7m"),
            )
            .text("meta", meta("412", "Bản sao", "2026-05-05", false)),
    );
    api.check("/api/v1/records", "post", st, &v);
    assert_eq!((st, v["status"].as_str()), (200, Some("duplicate")), "{v}");
    assert!(v.get("id").is_none(), "{v}");
    assert!(!v.to_string().contains(&s.secret), "{v}");
    // A field given twice, or a flag that is neither yes nor no, is refused, named.
    let (st, v) = post(
        &archivist,
        form().text("meta", meta("521", "Lần hai", "2026-06-01", true)),
    );
    api.check("/api/v1/records", "post", st, &v);
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("bad_upload")));
    assert!(
        v["error"]["message"].as_str().unwrap().contains("`meta`"),
        "{v}"
    );
    let (st, v) = post(&archivist, form().text("allow_unsigned", "maybe"));
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("bad_upload")));
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allow_unsigned"),
        "{v}"
    );
    // A body that is not a multipart form gets the API's JSON error too.
    let r = http
        .post(server.url("/api/v1/records"))
        .bearer_auth(&archivist)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .unwrap();
    let (st, v) = json_of(r);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("bad_upload")),
        "{v}"
    );

    // Both uploads are in the audit log under the archivist, as `stele ingest` logs them.
    drop(server);
    let log = stele_tests::archive::json(&ok(stele_at(
        &s.home,
        s.now,
        &["audit-log", "show", "--json", "--record", id.as_str()],
    )));
    let details: Vec<(&str, &str)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "ingest")
        .map(|e| (e["actor"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(details.len(), 2, "{log:#}");
    assert!(
        details.iter().all(|(actor, _)| *actor == "api:luu.tru"),
        "{details:?}"
    );
    assert!(
        details[0].1.starts_with("archived ") && details[0].1.ends_with("by API upload"),
        "{details:?}"
    );
    assert!(details[1].1.starts_with("duplicate "), "{details:?}");

    // The store is whole after all of that.
    ok(stele_at(&s.home, s.now, &["audit"]));
}
