//! The test PKI, made once per test binary with the `openssl` CLI: root →
//! two intermediates → agent leaves (with the agentPolicy of SPEC 3) and a
//! delegated OCSP responder per issuing CA, plus the CA databases
//! (`index.txt`) the responders answer from, and the constants of the
//! signed trade (audience, route, body).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kakunin_verify::signer::AgentSigner;
use kakunin_verify::{Clock, SystemClock};

use super::openssl_cli::{ca_sign, key_and_csr, openssl, policy_hex, read, utc_time, write};

pub const AUDIENCE: &str = "api.exchange.example";
pub const ROUTES: &str = "POST /v1/trades submit_limit_order trade\n";
pub const TRADE: &str = r#"{"market":"EUR_USD","size":45000,"direction":"BUY"}"#;
pub const DAY_S: i64 = 24 * 60 * 60;
const POLICY_OID: &str = "1.3.6.1.4.1.32473.1.1";

/// Serials (openssl / index.txt form, uppercase hex) of the leaves.
pub const GOOD_SERIAL: &str = "5A01";
pub const REVOKED_SERIAL: &str = "5A02";
pub const UNKNOWN_SERIAL: &str = "5A03";
/// A good leaf whose policy says revocationTimeout 2 s (an age limit below the 5 s TTL).
pub const SHORT_SERIAL: &str = "5A04";

/// One agent leaf of the test PKI.
pub struct Leaf {
    pub name: &'static str,
    /// Uppercase hex, as in index.txt and in endpoint URLs.
    pub serial: &'static str,
    pub key_pem: Vec<u8>,
    pub cert_pem: Vec<u8>,
}

impl Leaf {
    pub fn signer(&self) -> AgentSigner {
        AgentSigner::from_pem(&self.key_pem, &self.cert_pem, None).expect("test signer")
    }
}

/// The PKI: root → intermediate → leaves + OCSP responder, in a temp dir.
pub struct Pki {
    pub dir: PathBuf,
    pub good: Leaf,
    pub revoked: Leaf,
    pub unknown: Leaf,
    pub short: Leaf,
    /// Issued by `intermediate2` with the serial of `revoked`; good in
    /// `index2.txt`.
    pub twin: Leaf,
    /// notAfter of the leaves, as index.txt wants it.
    pub leaf_end: String,
    /// notBefore of the leaves (a day before the real now), index.txt form.
    pub start: String,
}

impl Pki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn trust(&self) -> kakunin_verify::chain::TrustStore {
        let mut t = kakunin_verify::chain::TrustStore::new();
        t.add_roots_pem(&read(&self.path("root.pem"))).unwrap();
        t.add_intermediates_pem(&read(&self.path("intermediate.pem")))
            .unwrap();
        t.add_intermediates_pem(&read(&self.path("intermediate2.pem")))
            .unwrap();
        t
    }
}

fn make_pki() -> Pki {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale_pkis(tmp);
    let dir = tmp.join(format!(
        "kakunin-live-{}-{}",
        std::process::id(),
        SystemClock.now_ms()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let d = dir.as_path();
    let now_s = i64::try_from(SystemClock.now_ms() / 1000).unwrap();
    let start = utc_time(now_s - DAY_S);
    let leaf_end = utc_time(now_s + 300 * DAY_S);
    let ca_end = utc_time(now_s + 3000 * DAY_S);
    let policy = policy_hex(d, 15);
    let short_policy = policy_hex(d, 2);

    key_and_csr(d, "root", "/O=Kakunin Live Test/CN=Live Root");
    ca_sign(
        d,
        "root",
        None,
        "root.key",
        "01",
        &start,
        &ca_end,
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\n",
    );
    key_and_csr(
        d,
        "intermediate",
        "/O=Kakunin Live Test/CN=Live Intermediate",
    );
    ca_sign(
        d,
        "intermediate",
        Some("root.pem"),
        "root.key",
        "02",
        &start,
        &ca_end,
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n",
    );
    // A second issuing CA under the same root, for serial-collision tests.
    key_and_csr(
        d,
        "intermediate2",
        "/O=Kakunin Live Test/CN=Live Intermediate 2",
    );
    ca_sign(
        d,
        "intermediate2",
        Some("root.pem"),
        "root.key",
        "03",
        &start,
        &ca_end,
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n",
    );
    let leaf = |name: &'static str, serial: &'static str, policy: &str, ca: &str| {
        key_and_csr(d, name, &format!("/O=Kakunin Live Test/CN={name}"));
        let ext = format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
             subjectAltName=URI:urn:kakunin:agent:{name}\n{POLICY_OID}=DER:{policy}\n"
        );
        ca_sign(
            d,
            name,
            Some(&format!("{ca}.pem")),
            &format!("{ca}.key"),
            serial,
            &start,
            &leaf_end,
            &ext,
        );
        Leaf {
            name,
            serial,
            key_pem: read(&d.join(format!("{name}.key"))),
            cert_pem: read(&d.join(format!("{name}.pem"))),
        }
    };
    let good = leaf("live_good", GOOD_SERIAL, &policy, "intermediate");
    let revoked = leaf("live_revoked", REVOKED_SERIAL, &policy, "intermediate");
    let unknown = leaf("live_unknown", UNKNOWN_SERIAL, &policy, "intermediate");
    let short = leaf("live_short", SHORT_SERIAL, &short_policy, "intermediate");
    // Same serial as `revoked`, other issuer, not revoked (RFC 5280:
    // serials are unique per issuer only).
    let twin = leaf("live_twin", REVOKED_SERIAL, &policy, "intermediate2");
    // The delegated OCSP responders, one per issuing CA.
    for (resp, ca, serial) in [
        ("resp", "intermediate", "5A10"),
        ("resp2", "intermediate2", "5A11"),
    ] {
        key_and_csr(
            d,
            resp,
            &format!("/O=Kakunin Live Test/CN=Live OCSP Responder {ca}"),
        );
        ca_sign(
            d,
            resp,
            Some(&format!("{ca}.pem")),
            &format!("{ca}.key"),
            serial,
            &start,
            &leaf_end,
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=OCSPSigning\n",
        );
    }
    openssl(
        d,
        &[
            "x509",
            "-in",
            "intermediate.pem",
            "-outform",
            "DER",
            "-out",
            "intermediate.der",
        ],
    );
    // The CA database: one good and one revoked leaf; the third is absent.
    let index = format!(
        "{}{}{}",
        index_line(false, &leaf_end, &start, GOOD_SERIAL, "live_good"),
        index_line(true, &leaf_end, &start, REVOKED_SERIAL, "live_revoked"),
        index_line(false, &leaf_end, &start, SHORT_SERIAL, "live_short"),
    );
    write(d, "index.txt", index.as_bytes());
    let index2 = index_line(false, &leaf_end, &start, REVOKED_SERIAL, "live_twin");
    write(d, "index2.txt", index2.as_bytes());
    write(d, "routes.txt", ROUTES.as_bytes());
    Pki {
        dir,
        good,
        revoked,
        unknown,
        short,
        twin,
        leaf_end,
        start,
    }
}

/// One line of an `openssl ca` index.txt: valid, or revoked (keyCompromise).
pub fn index_line(
    revoked: bool,
    not_after: &str,
    revoked_at: &str,
    serial: &str,
    cn: &str,
) -> String {
    if revoked {
        format!("R\t{not_after}\t{revoked_at},keyCompromise\t{serial}\tunknown\t/O=Kakunin Live Test/CN={cn}\n")
    } else {
        format!("V\t{not_after}\t\t{serial}\tunknown\t/O=Kakunin Live Test/CN={cn}\n")
    }
}

/// Removes PKIs of earlier runs (more than an hour old; a concurrent
/// run's PKI is younger).
fn remove_stale_pkis(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(3600));
        if old && e.file_name().to_string_lossy().starts_with("kakunin-live-") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The PKI, made once per test binary.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(make_pki)
}
