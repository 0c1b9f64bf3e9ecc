//! Fixed certificates shared by the revocation targets: copies of the shared
//! v1 test vectors in `fuzz/fixtures/`.

use kakunin_verify::certificate::{AgentCertificate, ExtensionOids};
use kakunin_verify::chain::TrustStore;
use kakunin_verify::revocation::CertificateRef;

pub const INTERMEDIATE_PEM: &[u8] = include_bytes!("../fixtures/intermediate.pem");
pub const DESK_BOT_1_PEM: &[u8] = include_bytes!("../fixtures/desk_bot_1.pem");
pub const REVOKED_BOT_PEM: &[u8] = include_bytes!("../fixtures/revoked_bot.pem");
/// 2026-07-01T09:15:00.000Z, the shared vectors' `--now` (inside crl.pem's
/// thisUpdate..nextUpdate).
pub const NOW_MS: u64 = 1_782_897_300_000;

/// A leaf and its issuer, owned, for building a [`CertificateRef`].
pub struct Pair {
    pub leaf: AgentCertificate,
    pub issuer_der: Vec<u8>,
}

impl Pair {
    pub fn new(leaf_pem: &[u8], issuer_pem: &[u8]) -> Pair {
        let leaf = AgentCertificate::from_pem_or_der(leaf_pem, &ExtensionOids::default())
            .expect("fixture leaf parses");
        let mut store = TrustStore::new();
        store
            .add_intermediates_pem(issuer_pem)
            .expect("fixture issuer parses");
        let issuer_der = store.intermediates()[0].as_ref().to_vec();
        Pair { leaf, issuer_der }
    }

    pub fn cert_ref(&self) -> CertificateRef<'_> {
        CertificateRef {
            der: self.leaf.der(),
            issuer_der: &self.issuer_der,
            serial: self.leaf.serial(),
            serial_hex: self.leaf.serial_hex(),
            not_after_ms: self.leaf.not_after_ms(),
            serial_form: self.leaf.serial_form(),
            root_der: None,
        }
    }
}

/// A separate PKI made with `openssl` for the OCSP seeds (no private keys
/// are kept): `ocsp_ca.pem` issued `ocsp_leaf.pem` (serial 9F01) and a
/// delegated responder; `seeds/ocsp_response/*.der` are its answers.
pub const OCSP_CA_PEM: &[u8] = include_bytes!("../fixtures/ocsp_ca.pem");
pub const OCSP_LEAF_PEM: &[u8] = include_bytes!("../fixtures/ocsp_leaf.pem");
/// thisUpdate of every `seeds/ocsp_response/*.der`: 2026-11-22T03:56:22Z.
pub const OCSP_THIS_UPDATE_MS: u64 = 1_795_319_782_000;
/// The nonce `seeds/ocsp_response/good_nonce.der` echoes.
pub const OCSP_SEED_NONCE: [u8; 16] = [
    0x58, 0xF3, 0x58, 0xBC, 0x27, 0x00, 0xEE, 0xD1, 0x7A, 0x6B, 0x17, 0xFD, 0x21, 0x10, 0x6E, 0x3E,
];
