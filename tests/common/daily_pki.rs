//! A SPEC 2 PKI made at test time with rcgen (root → intermediate → agent
//! leaves), whose leaves carry an agentPolicy written here in DER — with
//! `dailyLimit [7]` (SPEC 3, revision 1.2), `allowedHours [5]` and
//! `rateLimit [6]` as a test needs them.
#![allow(dead_code)]

use kakunin_verify::chain::TrustStore;
use kakunin_verify::signer::AgentSigner;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};

/// Leaf serials, unique per process.
static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x5a00);

/// SPEC 1: `id-pe-agentPolicy`.
const AGENT_POLICY_OID: &[u64] = &[1, 3, 6, 1, 4, 1, 32473, 1, 1];

/// An `Amount` (SPEC 3): `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy)]
pub struct Amount(pub u128, pub i64);

/// The AgentPolicy fields these tests vary (SPEC 3).
#[derive(Debug, Clone)]
pub struct Policy {
    pub scopes: Vec<&'static str>,
    pub max_transaction: Option<Amount>,
    pub allowed_markets: Vec<&'static str>,
    /// `(startMinute, endMinute)`.
    pub allowed_hours: Option<(u32, u32)>,
    /// `(maxActions, periodSeconds)`.
    pub rate_limit: Option<(u64, u64)>,
    pub daily_limit: Option<Amount>,
    /// `dataAccess [4]`: `(deny, pattern, operations)` per rule; none when
    /// empty.
    pub data_access: Vec<(bool, &'static str, Vec<&'static str>)>,
}

impl Default for Policy {
    /// Trades on EUR_USD up to 60 000 each, 100 000 a day.
    fn default() -> Self {
        Policy {
            scopes: vec!["submit_limit_order", "read_data"],
            max_transaction: Some(Amount(60_000, 0)),
            allowed_markets: vec!["EUR_USD"],
            allowed_hours: None,
            rate_limit: None,
            daily_limit: Some(Amount(100_000, 0)),
            data_access: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------- DER

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER (minimal two's complement).
fn integer(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    tlv(0x02, &bytes[start..])
}

/// A non-negative INTEGER up to `u128::MAX` (a sign octet when needed).
fn unsigned(v: u128) -> Vec<u8> {
    let bytes: Vec<u8> = v
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    let mut content = Vec::new();
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(&bytes);
    tlv(0x02, &content)
}

fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0c, s.as_bytes())
}

fn strings(items: &[&str]) -> Vec<u8> {
    items.iter().flat_map(|s| utf8(s)).collect()
}

fn amount_fields(a: Amount) -> Vec<u8> {
    let mut c = unsigned(a.0);
    c.extend(integer(a.1.into()));
    c.extend(utf8("USD"));
    c
}

/// The AgentPolicy DER (SPEC 3; IMPLICIT tags, fields in order).
pub fn policy_der(p: &Policy) -> Vec<u8> {
    let mut c = integer(1);
    c.extend(tlv(0xa0, &strings(&p.scopes)));
    if let Some(a) = p.max_transaction {
        c.extend(tlv(0xa1, &amount_fields(a)));
    }
    c.extend(tlv(0xa2, &strings(&p.allowed_markets)));
    if !p.data_access.is_empty() {
        let rules: Vec<u8> = p
            .data_access
            .iter()
            .flat_map(|(deny, pattern, ops)| {
                let mut r = tlv(0x0a, &[u8::from(*deny)]);
                r.extend(utf8(pattern));
                r.extend(tlv(0x30, &strings(ops)));
                tlv(0x30, &r)
            })
            .collect();
        c.extend(tlv(0xa4, &rules));
    }
    if let Some((start, end)) = p.allowed_hours {
        let mut w = integer(start.into());
        w.extend(integer(end.into()));
        c.extend(tlv(0xa5, &w));
    }
    if let Some((max, period)) = p.rate_limit {
        let mut r = integer(max.into());
        r.extend(integer(period.into()));
        c.extend(tlv(0xa6, &r));
    }
    if let Some(a) = p.daily_limit {
        c.extend(tlv(0xa7, &amount_fields(a)));
    }
    tlv(0x30, &c)
}

// ---------------------------------------------------------------- PKI

/// A root and an agent CA; [`DailyPki::agent`] issues leaves.
pub struct DailyPki {
    root_pem: String,
    intermediate_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params(name: &str, serial: u64) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2030, 1, 1);
    p.serial_number = Some(SerialNumber::from(serial));
    p
}

impl DailyPki {
    pub fn new() -> DailyPki {
        let root_key = KeyPair::generate().unwrap();
        let root_params = ca_params("daily limit test root", 1);
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(root_params, root_key);
        let ca_key = KeyPair::generate().unwrap();
        let ca_params = ca_params("daily limit test agent CA", 2);
        let ca = ca_params.signed_by(&ca_key, &root_issuer).unwrap();
        DailyPki {
            root_pem: root.pem(),
            intermediate_pem: ca.pem(),
            issuer: Issuer::new(ca_params, ca_key),
        }
    }

    /// The root certificate (PEM), e.g. for the CLI's `--roots`.
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// The agent CA certificate (PEM), e.g. for `--intermediates`.
    pub fn intermediate_pem(&self) -> &str {
        &self.intermediate_pem
    }

    pub fn trust(&self) -> TrustStore {
        let mut t = TrustStore::new();
        t.add_roots_pem(self.root_pem.as_bytes()).unwrap();
        t.add_intermediates_pem(self.intermediate_pem.as_bytes())
            .unwrap();
        t
    }

    /// A SPEC 2 leaf for `urn:kakunin:agent:{agent_id}` with `policy`,
    /// valid 2026-06-01 to 2027-05-01, and its signer.
    pub fn agent(&self, agent_id: &str, policy: &Policy) -> AgentSigner {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, agent_id);
        p.subject_alt_names = vec![SanType::URI(
            format!("urn:kakunin:agent:{agent_id}").try_into().unwrap(),
        )];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.not_before = date_time_ymd(2026, 6, 1);
        p.not_after = date_time_ymd(2027, 5, 1);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        p.serial_number = Some(SerialNumber::from(serial));
        p.custom_extensions = vec![CustomExtension::from_oid_content(
            AGENT_POLICY_OID,
            policy_der(policy),
        )];
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        AgentSigner::from_pem(key.serialize_pem().as_bytes(), cert.pem().as_bytes(), None).unwrap()
    }
}
