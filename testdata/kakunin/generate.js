#!/usr/bin/env node
// Kakunin CA compatibility fixtures (SPEC 10, profile `kakunin-2026`).
//
// Reproduces, with node-forge 1.4.0 (the library and version Kakunin's CA
// uses), the way Kakunin's public source (github.com/nqzai/kakunin-core:
// src/lib/certificates/{ca,issue,crl}.ts, src/lib/webhooks/crypto.ts,
// src/app/api/internal/webhook-delivery/route.ts, src/app/api/v1/crl/route.ts)
// issues agent certificates, writes its CRL and signs webhook deliveries.
// This is an independent re-implementation of those behaviours (see
// ../README.md, section "Kakunin fixtures"), not a copy of that code.
//
// Run: cd testdata/kakunin && npm ci && node generate.js
//
// Deterministic: serials, dates, subjects and extension values are fixed
// below, keys are read from the checked-in `*.key.pem` files (made once,
// with Node's crypto, when missing), and RSA PKCS#1 v1.5 signatures are
// deterministic, so a rerun reproduces every file byte for byte.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const forge = require('node-forge');

const OUT = __dirname;
const asn1 = forge.asn1;

// --- constants as in Kakunin's code ------------------------------------------

const SHA256_WITH_RSA_OID = '1.2.840.113549.1.1.11';
const MODEL_HASH_OID = '1.3.6.1.4.1.99999.2';
const FINANCIAL_SCOPE_OID = '1.3.6.1.4.1.99999.3';
const AGENT_IDENTITY_EKU_OID = '1.3.6.1.4.1.99999.1'; // passed to forge, which drops it
const AGENT_POLICY_OID = '1.3.6.1.4.1.32473.1.1'; // SPEC 1 (not Kakunin's)
const AIA_OID = '1.3.6.1.5.5.7.1.1';
const CA_ISSUERS_OID = '1.3.6.1.5.5.7.48.2';
const CA_CERT_URL = 'https://api.kakunin.ai/v1/ca';
const CA_CHAIN_URL = 'https://api.kakunin.ai/v1/ca/chain';

const ROOT_DN = { cn: 'Kakunin AI Agent CA', o: 'Kakunin', c: 'EU' };
const INT_DN = { cn: 'Kakunin AI Agent Intermediate CA', o: 'Kakunin', c: 'EU' };

const DAY_MS = 24 * 60 * 60 * 1000;
// Kakunin: issuedAt = now, expiresAt = now + 365 days; CA: now + 10 * 365 days.
const LEAF_NOT_BEFORE = new Date('2026-11-01T00:00:00Z');
const LEAF_NOT_AFTER = new Date(LEAF_NOT_BEFORE.getTime() + 365 * DAY_MS); // 2027-11-01
const CA_NOT_BEFORE = new Date('2026-10-01T00:00:00Z');
const CA_NOT_AFTER = new Date(CA_NOT_BEFORE.getTime() + 10 * 365 * DAY_MS);

// Webhook secret in Kakunin's format: `whsec_` + 32 random octets in hex.
const WEBHOOK_SECRET = 'whsec_' + '5f1c0a9e3b7d4c2a8e6f1b0d9c7a5e3f2b4d6c8a0e1f3a5c7e9b2d4f6a8c0e1f';
const TENANT_ID = '6f9d2c1e-4b3a-4e8f-9a7b-2c5d8e1f0a3b';

// A valid SPEC 3 agentPolicy value (the one of testdata/pki/rsa2048/leaf.pem).
const AGENT_POLICY_DER_HEX =
  '3081F3020101A0580C127375626D69745F6C696D69745F6F726465720C1B71756572795F616E6F6E796D697A65645F6F726465' +
  '725F626F6F6B0C09726561645F646174610C0C77726974655F7265706F72740C0C63616E63656C5F6F72646572A10D020300C3' +
  '500201000C03555344A2120C074555525F5553440C074742505F55534483010FA45B301E0A01000C112F646174612F70726F63' +
  '65737365642F2A30060C047265616430180A01000C0A2F7265706F7274732F2A30070C057772697465301F0A01010C0B2F6461' +
  '74612F7261772F2A300D0C04726561640C057772697465A508020201E0020204B0A607020203E802013C';

const SHA256_WEIGHTS = crypto.createHash('sha256').update('kakunin fixture model weights').digest('hex');

const FULL_SCOPE = {
  max_single_trade_usd: 25000.5,
  daily_limit_usd: 100000,
  permitted_instruments: ['BTC-USD', 'ETH-USD', 'EUR_USD'],
  permitted_venues: ['Binance', 'Kraken'],
  leverage_permitted: true,
  max_leverage_ratio: 3,
};

// --- helpers -------------------------------------------------------------------

function write(rel, data) {
  const file = path.join(OUT, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
}

// An RSA 2048 key: the checked-in one, else a fresh one (PKCS#8 PEM).
// Kakunin's keys live in AWS KMS (KeySpec RSA_2048); only the public key
// goes into a certificate, so how the key was made does not show.
function loadOrMakeKey(rel) {
  const file = path.join(OUT, rel);
  if (!fs.existsSync(file)) {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    write(rel, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  }
  const privateKey = crypto.createPrivateKey(fs.readFileSync(file));
  const spkiDer = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  // As Kakunin does with KMS GetPublicKey's DER.
  const publicKey = forge.pki.publicKeyFromAsn1(asn1.fromDer(spkiDer.toString('binary')));
  return { privateKey, publicKey };
}

// KMS Sign with RSASSA_PKCS1_V1_5_SHA_256 over the raw TBS DER.
function kmsSign(privateKey, tbsDer) {
  return crypto.sign('sha256', Buffer.from(tbsDer, 'binary'), privateKey).toString('binary');
}

function nullParams() {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '');
}

function utf8StringExt(id, text) {
  // Kakunin: asn1.create(UNIVERSAL, UTF8, false, text) with no encodeUtf8, so
  // each JS character becomes one octet (its low 8 bits).
  return {
    id,
    critical: false,
    value: asn1.toDer(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, text)).getBytes(),
  };
}

function aiaExt(url) {
  const aia = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(CA_ISSUERS_OID).getBytes()),
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, 6, false, url),
    ]),
  ]);
  return { id: AIA_OID, critical: false, value: asn1.toDer(aia).getBytes() };
}

function dnAttrs(dn) {
  return [
    { name: 'commonName', value: dn.cn },
    { name: 'organizationName', value: dn.o },
    { name: 'countryName', value: dn.c },
  ];
}

// Kakunin's flow: siginfo set, getTBSCertificate, KMS sign, then the
// signature fields set and certificateToAsn1 (ca.ts / issue.ts).
function signCertificate(cert, signerKey) {
  const pki = forge.pki;
  cert.siginfo = { algorithmOid: SHA256_WITH_RSA_OID, parameters: nullParams() };
  const tbsDer = asn1.toDer(pki.getTBSCertificate(cert)).getBytes();
  cert.signatureOid = SHA256_WITH_RSA_OID;
  cert.signatureParameters = nullParams();
  cert.signature = kmsSign(signerKey, tbsDer);
  const der = asn1.toDer(pki.certificateToAsn1(cert)).getBytes();
  return {
    der: Buffer.from(der, 'binary'),
    pem: forge.pem.encode({ type: 'CERTIFICATE', body: der }),
  };
}

// generateCaCert() (ca.ts): self-signed, basicConstraints cA critical,
// keyUsage keyCertSign + cRLSign critical, 16 random octets as serial.
// The intermediate's issuing code is not public: it is made the same way,
// signed by the root, with the DN issue.ts names as the leaves' issuer.
function makeCa(name, dbSerial, subjectDn, issuerDn, signerKey, key) {
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = dbSerial;
  cert.validity.notBefore = CA_NOT_BEFORE;
  cert.validity.notAfter = CA_NOT_AFTER;
  cert.setSubject(dnAttrs(subjectDn));
  cert.setIssuer(dnAttrs(issuerDn));
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const out = signCertificate(cert, signerKey);
  write(`${name}.pem`, out.pem);
  write(`${name}.der`, out.der);
  return { name, cert, pem: out.pem, der: out.der, dbSerial };
}

// --- serials -------------------------------------------------------------------

// The serial's content octets as DER wrote them (tag 02 at the TBS's start).
function certSerialContent(der) {
  const cert = asn1.fromDer(der.toString('binary'));
  const tbs = cert.value[0];
  // tbs.value[0] is the [0] version, [1] the serial INTEGER.
  return Buffer.from(tbs.value[1].value, 'binary');
}

// SPEC 10: the profile's serial text (lowercase), from the content octets.
function profileSerialText(content) {
  let octets;
  if (content.length === 17) {
    octets = content.subarray(1);
  } else if (content.length <= 16) {
    const fill = content[0] >= 0x80 ? 0xff : 0x00;
    octets = Buffer.concat([Buffer.alloc(16 - content.length, fill), content]);
  } else {
    throw new Error('serial longer than 17 octets');
  }
  return octets.toString('hex');
}

function isMinimal(content) {
  if (content.length < 2) return true;
  if (content[0] === 0x00 && content[1] < 0x80) return false;
  if (content[0] === 0xff && content[1] >= 0x80) return false;
  return true;
}

// Two's complement value of the content octets, in decimal and hex (what
// `openssl x509 -text` prints for a negative serial is shown in the README).
function signedValue(content) {
  let v = BigInt('0x' + content.toString('hex'));
  if (content[0] >= 0x80) v -= 1n << BigInt(8 * content.length);
  return v.toString();
}

// A fixed pseudo-random DB serial for a fixture that does not care about its
// shape: 16 octets from SHA-256 of its name, shaped like an ordinary one
// (first octet 0x10..0x7f) so that it never hits the special cases by chance.
function ordinarySerial(name) {
  const h = crypto.createHash('sha256').update('kakunin fixture serial ' + name).digest();
  h[0] = 0x10 + (h[0] % 0x70);
  return h.subarray(0, 16).toString('hex').toUpperCase();
}

function uuidFor(name) {
  // A fixed lowercase UUID (version 4 layout) per fixture, as Postgres'
  // gen_random_uuid() would give the agent id.
  const h = crypto.createHash('sha256').update('kakunin fixture agent ' + name).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

// Postgres jsonb's key order (shorter keys first, then bytewise), applied
// recursively: agent.metadata.financial_scope comes back from Supabase in
// that order before issue.ts calls JSON.stringify on it.
function jsonbOrder(v) {
  if (Array.isArray(v)) return v.map(jsonbOrder);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => {
      const la = Buffer.byteLength(a);
      const lb = Buffer.byteLength(b);
      if (la !== lb) return la - lb;
      return Buffer.compare(Buffer.from(a), Buffer.from(b));
    });
    const o = {};
    for (const k of keys) o[k] = jsonbOrder(v[k]);
    return o;
  }
  return v;
}

// A valid scope text of exactly `n` octets (ASCII): permitted_venues and an
// unknown member padded to length.
function scopeOfLength(n) {
  const head = '{"permitted_venues":["Kraken"],"note":"';
  const tail = '"}';
  return head + 'x'.repeat(n - head.length - tail.length) + tail;
}

// --- leaves (issue.ts issueCertificate) ---------------------------------------

function makeLeaf(spec, issuer, issuerKey, viaIntermediate) {
  const key = loadOrMakeKey(`leaves/${spec.name}.key.pem`);
  const agentId = uuidFor(spec.name);
  const agentName = spec.agentName ?? spec.name;
  const dbSerial = spec.dbSerial ?? ordinarySerial(spec.name);
  if (!/^[0-9A-F]{32}$/.test(dbSerial)) throw new Error(`bad DB serial for ${spec.name}`);

  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = dbSerial; // 32 uppercase hex digits, as generateSerialNumber()
  cert.validity.notBefore = LEAF_NOT_BEFORE;
  cert.validity.notAfter = LEAF_NOT_AFTER;
  cert.setSubject([
    { name: 'commonName', value: `${agentName}:${agentId}` },
    { name: 'organizationName', value: TENANT_ID },
    { name: 'countryName', value: 'EU' },
  ]);
  cert.setIssuer(dnAttrs(viaIntermediate ? INT_DN : ROOT_DN));

  const modelHash = spec.modelHash ?? `sha256:${SHA256_WEIGHTS}`;
  // `scope` is an object (JSON.stringify'd after jsonb's reordering, as
  // Kakunin does), `scopeText` a raw string (texts Kakunin cannot produce),
  // `scope: null` means no financial_scope: no .3 extension.
  let scopeText = null;
  if (spec.scopeText !== undefined) scopeText = spec.scopeText;
  else if (spec.scope !== null) scopeText = JSON.stringify(jsonbOrder(spec.scope ?? FULL_SCOPE));

  const exts = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
    { name: 'extKeyUsage', clientAuth: true, custom: [{ id: AGENT_IDENTITY_EKU_OID }] },
    { name: 'subjectAltName', altNames: [{ type: 6, value: `urn:kakunin:agent:${agentId}` }] },
    aiaExt(viaIntermediate ? CA_CHAIN_URL : CA_CERT_URL),
    utf8StringExt(MODEL_HASH_OID, modelHash),
  ];
  if (scopeText !== null) exts.push(utf8StringExt(FINANCIAL_SCOPE_OID, scopeText));
  if (spec.withAgentPolicy) {
    // Not Kakunin: the SPEC 1 extension added to make the conflict of SPEC 10.
    exts.push({
      id: AGENT_POLICY_OID,
      critical: false,
      value: Buffer.from(AGENT_POLICY_DER_HEX, 'hex').toString('binary'),
    });
  }
  cert.setExtensions(exts);

  const out = signCertificate(cert, issuerKey);
  write(`leaves/${spec.name}.pem`, out.pem);
  write(`leaves/${spec.name}.der`, out.der);

  const content = certSerialContent(out.der);
  const text = profileSerialText(content);
  // SPEC 10's serial text must be the CA database's serial, lower-cased.
  if (text !== dbSerial.toLowerCase()) {
    throw new Error(`${spec.name}: profile text ${text} != database serial ${dbSerial}`);
  }
  const scopeBytes = scopeText === null ? null : Buffer.from(scopeText, 'latin1');
  return {
    name: spec.name,
    file: `leaves/${spec.name}.pem`,
    der_file: `leaves/${spec.name}.der`,
    key_file: `leaves/${spec.name}.key.pem`,
    key_format: 'PKCS#8 PEM (unencrypted), RSA 2048',
    what: spec.what,
    issuer: viaIntermediate ? 'intermediate' : 'root',
    chain: viaIntermediate ? ['intermediate.pem', 'root.pem'] : ['root.pem'],
    agent_id: agentId,
    agent_urn: `urn:kakunin:agent:${agentId}`,
    subject_cn: `${agentName}:${agentId}`,
    subject_o: TENANT_ID,
    db_serial: dbSerial,
    serial_content_hex: content.toString('hex'),
    serial_content_octets: content.length,
    serial_negative: content[0] >= 0x80,
    serial_minimal: isMinimal(content),
    serial_decimal: signedValue(content),
    profile_serial: text,
    endpoint_serial: text.toUpperCase(),
    not_before: LEAF_NOT_BEFORE.toISOString(),
    not_after: LEAF_NOT_AFTER.toISOString(),
    model_hash: modelHash,
    weights_sha256: /^sha256:[0-9a-fA-F]{64}$/.test(modelHash) ? modelHash.slice(7).toLowerCase() : null,
    scope_json: scopeText,
    scope_hex: scopeBytes === null ? null : scopeBytes.toString('hex'),
    scope_valid: scopeText === null ? null : (spec.scopeValid ?? true),
    has_agent_policy: !!spec.withAgentPolicy,
    expect: spec.expect,
    listed_in: [],
  };
}

// --- CRL (crl.ts generateAndStoreCrl) ------------------------------------------

function utcTime(d) {
  const p = (n) => n.toString().padStart(2, '0');
  return `${d.getUTCFullYear().toString().slice(-2)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

function sha256WithRsaAlgId() {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(SHA256_WITH_RSA_OID).getBytes()),
    nullParams(),
  ]);
}

// crl.ts serialHexToBytes: the database's hex as octets, a 00 put before a
// first octet above 127; forge's toDer then drops ONE redundant first octet.
function crlEntrySerialOctets(dbSerial) {
  const bytes = Buffer.from(dbSerial.replace(/[:\s]/g, ''), 'hex').toString('binary');
  return bytes.charCodeAt(0) > 127 ? '\x00' + bytes : bytes;
}

function makeCrl(name, what, rootCert, rootKey, thisUpdate, revoked) {
  const nextUpdate = new Date(thisUpdate.getTime() + 25 * 60 * 60 * 1000);
  // crl.ts: certificateFromPem(KAKUNIN_CA_CERT_PEM), then its *issuer* re-encoded.
  const caCert = forge.pki.certificateFromPem(rootCert.pem);
  const issuer = forge.pki.distinguishedNameToAsn1(caCert.issuer);
  const entries = revoked.map(({ leaf, revokedAt }) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, crlEntrySerialOctets(leaf.db_serial)),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, utcTime(revokedAt)),
    ]));
  const tbsChildren = [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x01'),
    sha256WithRsaAlgId(),
    issuer,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, utcTime(thisUpdate)),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, utcTime(nextUpdate)),
  ];
  if (entries.length > 0) {
    tbsChildren.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, entries));
  }
  const tbs = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, tbsChildren);
  const sig = kmsSign(rootKey, asn1.toDer(tbs).getBytes());
  const crl = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    sha256WithRsaAlgId(),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + sig),
  ]);
  const der = Buffer.from(asn1.toDer(crl).getBytes(), 'binary');
  // GET /v1/crl's PEM (route.ts): base64 cut every 64 characters, then "\n".
  const pem = '-----BEGIN X509 CRL-----\n' +
    der.toString('base64').replace(/.{64}/g, '$&\n') +
    '\n-----END X509 CRL-----\n';
  write(`${name}.der`, der);
  write(`${name}.pem`, pem);

  // Read the entries back as written, for the manifest.
  const parsed = asn1.fromDer(der.toString('binary'));
  const list = parsed.value[0].value[5];
  const written = list ? list.value.map((e) => Buffer.from(e.value[0].value, 'binary')) : [];
  const out = {
    name,
    what,
    file: `${name}.pem`,
    der_file: `${name}.der`,
    signed_by: 'root',
    this_update: thisUpdate.toISOString(),
    next_update: nextUpdate.toISOString(),
    entries: revoked.map(({ leaf, revokedAt }, i) => ({
      leaf: leaf.name,
      db_serial: leaf.db_serial,
      entry_serial_content_hex: written[i].toString('hex'),
      entry_serial_octets: written[i].length,
      entry_minimal: isMinimal(written[i]),
      profile_serial: profileSerialText(written[i]),
      revocation_date: revokedAt.toISOString(),
    })),
  };
  for (const [i, { leaf }] of revoked.entries()) {
    if (out.entries[i].profile_serial !== leaf.profile_serial) {
      throw new Error(`${name}: entry for ${leaf.name} reads ${out.entries[i].profile_serial}`);
    }
    leaf.listed_in.push(name);
  }
  return out;
}

// --- webhooks (webhooks/crypto.ts, internal/webhook-delivery/route.ts) ---------

function makeDelivery(name, eventType, payload, timestampMs, deliveryId) {
  const body = JSON.stringify({ event: eventType, data: payload });
  const signature = crypto.createHmac('sha256', WEBHOOK_SECRET).update(`${timestampMs}.${body}`).digest('hex');
  const headers = {
    'x-kakunin-event': eventType,
    'x-kakunin-timestamp': String(timestampMs),
    'x-kakunin-signature': `sha256=${signature}`,
    'x-kakunin-delivery-id': deliveryId,
    'content-type': 'application/json',
  };
  write(`webhooks/${name}.body`, body);
  const record = {
    name,
    not_from_kakunin_service: false,
    what: `${eventType} as Kakunin's service delivers it (X-Kakunin-Timestamp ms, X-Kakunin-Signature sha256=)`,
    method: 'POST',
    headers,
    body_file: `webhooks/${name}.body`,
    secret: WEBHOOK_SECRET,
    timestamp_ms: timestampMs,
    signed_string_prefix: `${timestampMs}.`,
    event: eventType,
    serial_number: payload.serial_number ?? null,
    // SPEC 10's serial text (lowercase) of the certificate the event names.
    profile_serial: payload.serial_number ? payload.serial_number.toLowerCase() : null,
  };
  write(`webhooks/${name}.json`, JSON.stringify(record, null, 2) + '\n');
  return { ...record, file: `webhooks/${name}.json` };
}

// Not sent by Kakunin's service: the same body under SPEC 7.3's header
// `X-Kakunin-Signature: t={s},v1={hex}` (the form Kakunin's TypeScript SDK,
// src/webhooks.ts constructEvent, verifies), and a mixed delivery carrying
// the service's X-Kakunin-Timestamp with a 7.3-form signature (SPEC 10:
// refused).
function makeSpec73Delivery(name, from, mixed) {
  const body = fs.readFileSync(path.join(OUT, from.body_file), 'latin1');
  const t = Math.floor(from.timestamp_ms / 1000);
  const v1 = crypto.createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${body}`).digest('hex');
  const headers = { 'x-kakunin-signature': `t=${t},v1=${v1}`, 'content-type': 'application/json' };
  if (mixed) headers['x-kakunin-timestamp'] = String(from.timestamp_ms);
  const record = {
    name,
    not_from_kakunin_service: true,
    what: mixed
      ? 'X-Kakunin-Timestamp (ms, service form) together with a SPEC 7.3 t=,v1= signature: must be refused (SPEC 10)'
      : 'SPEC 7.3 form (t=seconds, v1=HMAC of "{t}.{body}"), as Kakunin\'s TypeScript SDK verifies; valid',
    method: 'POST',
    headers,
    body_file: from.body_file,
    secret: WEBHOOK_SECRET,
    timestamp_s: t,
    timestamp_ms: from.timestamp_ms,
    event: from.event,
    serial_number: from.serial_number,
    profile_serial: from.profile_serial,
  };
  write(`webhooks/${name}.json`, JSON.stringify(record, null, 2) + '\n');
  return { ...record, file: `webhooks/${name}.json` };
}

// --- the fixture set -----------------------------------------------------------

function main() {
  const rootKey = loadOrMakeKey('root.key.pem');
  const intKey = loadOrMakeKey('intermediate.key.pem');
  const root = makeCa('root', 'A3B1C2D4E5F60718293A4B5C6D7E8F90', ROOT_DN, ROOT_DN, rootKey.privateKey, rootKey);
  const intermediate = makeCa('intermediate', '5E0C7A91B2D3E4F5061728394A5B6C7D', INT_DN, ROOT_DN,
    rootKey.privateKey, intKey);

  const I = true; // under the intermediate
  const R = false; // directly under the root
  const specs = [
    // Serial shapes (SPEC 10 "Certificates").
    [I, { name: 'leaf_negative', dbSerial: '9C4F2A7E1B3D5C6A8E0F1D2C3B4A5968',
      what: 'first DB octet >= 0x80: 16 content octets, a negative INTEGER', expect: 'valid (revoked by crl)' }],
    [I, { name: 'leaf_15octet', dbSerial: '005B3E9A1C7D2F4B6E8A0C1E3D5F7A9B',
      what: 'DB 00 then < 0x80: forge drops the 00, 15 content octets', expect: 'valid (revoked by crl)' }],
    [I, { name: 'leaf_ff15octet', dbSerial: 'FF9A3C5E7B1D2F4A6C8E0B1D3F5A7C9E',
      what: 'DB FF then >= 0x80: forge drops the FF, 15 content octets, negative', expect: 'valid (revoked by crl)' }],
    [I, { name: 'leaf_positive', dbSerial: '3A7C9E1B5D2F4A6C8E0A1C3E5B7D9F20',
      what: 'first DB octet 0x01..0x7f: 16 content octets, positive', expect: 'valid (listed in no CRL)' }],
    [I, { name: 'leaf_sign_octet', dbSerial: '00B7D1E3F5A7C9E0B2D4F6A8C0E2A4B6',
      what: 'DB 00 then >= 0x80: the 00 stays as sign octet, 16 content octets', expect: 'valid (revoked by crl_2)' }],
    [I, { name: 'leaf_nonminimal', dbSerial: '00004E6A8C2E4B6D8F1A3C5E7A9C1E3F',
      what: 'DB 00 00 then < 0x80: forge drops one 00, 15 content octets 00 4e..., non-minimal DER',
      expect: 'valid under the profile (revoked by crl)' }],
    [R, { name: 'leaf_root_direct', dbSerial: 'D41E6B8A0C2E4F6A8B1D3F5C7E9A0B2D',
      what: 'issued by the root itself (no intermediate configured), negative serial', expect: 'valid (listed in no CRL)' }],
    [R, { name: 'leaf_root_direct_revoked', dbSerial: '2B4D6F8A1C3E5A7C9E0B2D4F6A8C0E1A',
      what: 'issued by the root itself, listed in crl', expect: 'valid (revoked by crl)' }],

    // Scopes (.99999.3) as Kakunin writes them: JSON.stringify of the jsonb object.
    [I, { name: 'scope_full', scope: FULL_SCOPE, what: 'all six members', expect: 'valid' }],
    [I, { name: 'scope_minimal', scope: {}, what: 'financial scope {}', expect: 'valid (no limits)' }],
    [I, { name: 'scope_absent', scope: null, what: 'no financial_scope: no .99999.3 extension',
      expect: 'not recognized as a profile certificate: SPEC 2 applies (valid; no agentPolicy, so every action policy_missing)' }],
    ...Object.keys(FULL_SCOPE).map((member) => {
      const s = { ...FULL_SCOPE };
      delete s[member];
      return [I, { name: `scope_no_${member}`, scope: s, what: `full scope without ${member}`, expect: 'valid' }];
    }),
    [I, { name: 'scope_leverage_false', scope: (({ max_leverage_ratio: _, ...s }) => ({ ...s, leverage_permitted: false }))(FULL_SCOPE),
      what: 'leverage_permitted false, no max_leverage_ratio', expect: 'valid' }],
    [I, { name: 'scope_exponent_number', scope: { ...FULL_SCOPE, daily_limit_usd: 1e21 },
      what: 'daily_limit_usd 1e21: JSON.stringify writes "1e+21"', expect: 'valid (dailyLimit 10^21)' }],
    [I, { name: 'scope_4kib', scopeText: scopeOfLength(4096),
      what: 'scope text of exactly 4096 octets (the limit): permitted_venues plus a long unknown member',
      expect: 'valid' }],
    [I, { name: 'scope_unknown_member', scope: { ...FULL_SCOPE, kyc_tier: 'gold' },
      what: 'an unknown member besides the six', expect: 'valid (unknown member ignored)' }],

    // Scopes that must be policy_invalid. Those with `scope` Kakunin's code
    // can write (it does not validate metadata); `scopeText` ones it cannot.
    [I, { name: 'policy_invalid_string_limit', scope: { ...FULL_SCOPE, max_single_trade_usd: '25000' },
      scopeValid: false, what: 'max_single_trade_usd a string', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_negative_limit', scope: { ...FULL_SCOPE, daily_limit_usd: -5 },
      scopeValid: false, what: 'daily_limit_usd negative', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_zero_limit', scope: { ...FULL_SCOPE, max_single_trade_usd: 0 },
      scopeValid: false, what: 'max_single_trade_usd 0 (must be > 0)', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_instruments_type', scope: { ...FULL_SCOPE, permitted_instruments: 'BTC-USD' },
      scopeValid: false, what: 'permitted_instruments a string, not an array', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_instruments_empty', scope: { ...FULL_SCOPE, permitted_instruments: [] },
      scopeValid: false, what: 'permitted_instruments empty (1..256 required)', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_venue_number', scope: { ...FULL_SCOPE, permitted_venues: ['Kraken', 7] },
      scopeValid: false, what: 'a number in permitted_venues', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_leverage_type', scope: { ...FULL_SCOPE, leverage_permitted: 'yes' },
      scopeValid: false, what: 'leverage_permitted a string', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_ratio_negative', scope: { ...FULL_SCOPE, max_leverage_ratio: -2 },
      scopeValid: false, what: 'max_leverage_ratio negative', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_inexact_number', scopeText: '{"daily_limit_usd":2305843009213693951}',
      scopeValid: false, what: 'a number JCS cannot keep exactly (SPEC 4.3; raw text)', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_not_object', scopeText: '["max_single_trade_usd",1000]',
      scopeValid: false, what: 'a JSON array, not an object (raw text)', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_not_json', scopeText: 'max_single_trade_usd=1000',
      scopeValid: false, what: 'not JSON (raw text)', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_duplicate_member', scopeText: '{"daily_limit_usd":1000,"daily_limit_usd":1000000}',
      scopeValid: false, what: 'a member twice (raw text; jsonb would keep the last)', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_too_large', scopeText: scopeOfLength(4097),
      scopeValid: false, what: 'scope text of 4097 octets (one over 4 KiB; raw text)', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_deep_nesting', scopeText: '{"x":' + '['.repeat(200) + ']'.repeat(200) + '}',
      scopeValid: false, what: '200 nested arrays in an unknown member (raw text)', expect: 'policy_invalid (nesting beyond the parser limit)' }],
    [I, { name: 'policy_invalid_huge_number_text', scopeText: '{"max_single_trade_usd":1' + '0'.repeat(400) + '}',
      scopeValid: false, what: 'a 401-digit number, beyond IEEE-754 range (raw text)', expect: 'policy_invalid' }],
    [I, { name: 'policy_invalid_latin1', scope: { ...FULL_SCOPE, permitted_venues: ['Börse Stuttgart'] },
      scopeValid: false,
      what: 'a non-ASCII venue: Kakunin writes the UTF8String without UTF-8 encoding, so "ö" is the single octet f6 (not UTF-8)',
      expect: 'policy_invalid (not UTF-8)' }],

    // Model hash (.99999.2).
    [I, { name: 'model_sha256', modelHash: `sha256:${SHA256_WEIGHTS}`, what: 'sha256:<64 lowercase hex>', expect: 'valid; weightsSha256 certified' }],
    [I, { name: 'model_sha256_upper', modelHash: `sha256:${SHA256_WEIGHTS.toUpperCase()}`, what: 'sha256:<64 UPPERCASE hex>', expect: 'valid; weightsSha256 = the digits lower-cased' }],
    [I, { name: 'model_bare_hex', modelHash: SHA256_WEIGHTS, what: '64 hex digits without sha256:', expect: 'valid; no weights hash certified' }],
    [I, { name: 'model_blake3', modelHash: `blake3:${SHA256_WEIGHTS}`, what: 'blake3:<64 hex>', expect: 'valid; no weights hash certified' }],

    // Subject PrintableString outside its set; both extensions.
    [I, { name: 'subject_nonprintable', agentName: 'Müller & Co_trader',
      what: 'CN "Müller & Co_trader:<uuid>" as a PrintableString: forge writes ü as the octet fc, & and _ as is',
      expect: 'valid; CN shown lossily' }],
    [I, { name: 'both_extensions', withAgentPolicy: true,
      what: 'Kakunin scope .99999.3 AND SPEC 1 agentPolicy 1.3.6.1.4.1.32473.1.1 (not made by Kakunin)',
      expect: 'malformed_certificate' }],
  ];

  const leaves = specs.map(([viaInt, spec]) => makeLeaf(spec, viaInt ? intermediate : root,
    viaInt ? intKey.privateKey : rootKey.privateKey, viaInt));
  const byName = Object.fromEntries(leaves.map((l) => [l.name, l]));

  // CRLs, all signed by the root key (crl.ts uses KMS_CA_KEY_ARN), issuer =
  // the root certificate's issuer field.
  const crlThis = new Date('2026-12-01T00:00:00Z');
  const revokedAt = new Date('2026-11-20T12:00:00Z');
  const listed = ['leaf_negative', 'leaf_15octet', 'leaf_ff15octet', 'leaf_nonminimal', 'leaf_root_direct_revoked'];
  const crls = [
    makeCrl('crl', 'the root-signed CRL for the whole hierarchy; its leaf_nonminimal entry is non-minimal DER '
      + '(OpenSSL 3 refuses to load this CRL)', root, rootKey.privateKey, crlThis,
    listed.map((n) => ({ leaf: byName[n], revokedAt }))),
    makeCrl('crl_2', 'a second current CRL, newer than crl, listing only leaf_sign_octet',
      root, rootKey.privateKey, new Date('2026-12-01T06:00:00Z'),
      [{ leaf: byName.leaf_sign_octet, revokedAt: new Date('2026-12-01T05:30:00Z') }]),
    makeCrl('crl_empty', 'a current CRL with no entries (Kakunin then omits revokedCertificates), newest of all',
      root, rootKey.privateKey, new Date('2026-12-01T12:00:00Z'), []),
  ];
  // Not a separate Kakunin output: crl's entries without the non-minimal one,
  // so that OpenSSL (and strict DER readers) can load it. Not listed in leaves.
  const strict = makeCrl('crl_strict', 'crl without the leaf_nonminimal entry (same thisUpdate): an alternative '
    + 'to crl that strict DER readers load; not to be loaded together with crl', root, rootKey.privateKey,
  crlThis, listed.filter((n) => n !== 'leaf_nonminimal').map((n) => ({ leaf: byName[n], revokedAt })));
  for (const l of leaves) l.listed_in = l.listed_in.filter((n) => n !== 'crl_strict');
  crls.push(strict);

  // Webhook deliveries.
  const ts = Date.parse('2026-12-01T12:30:00.250Z');
  const webhooks = [
    makeDelivery('revoked_leaf_negative', 'certificate.revoked', {
      certificate_id: uuidFor('certificate leaf_negative'),
      agent_id: byName.leaf_negative.agent_id,
      serial_number: byName.leaf_negative.db_serial,
      reason: 'Key compromise suspected',
      revoked_at: '2026-12-01T12:30:00.000Z',
    }, ts, uuidFor('delivery 1')),
    makeDelivery('revoked_leaf_15octet', 'certificate.revoked', {
      certificate_id: uuidFor('certificate leaf_15octet'),
      agent_id: byName.leaf_15octet.agent_id,
      serial_number: byName.leaf_15octet.db_serial,
      reason: 'Agent decommissioned',
      revoked_at: '2026-12-01T12:30:01.000Z',
    }, ts + 1500, uuidFor('delivery 2')),
    makeDelivery('issued_leaf_positive', 'certificate.issued', {
      agent_id: byName.leaf_positive.agent_id,
      certificate_id: uuidFor('certificate leaf_positive'),
      serial_number: byName.leaf_positive.db_serial,
      expires_at: LEAF_NOT_AFTER.toISOString(),
    }, ts + 3000, uuidFor('delivery 3')),
  ];
  webhooks.push(makeSpec73Delivery('revoked_leaf_negative_spec73', webhooks[0], false));
  webhooks.push(makeSpec73Delivery('revoked_leaf_negative_mixed', webhooks[0], true));

  const manifest = {
    generator: 'testdata/kakunin/generate.js (node-forge 1.4.0)',
    profile: 'kakunin-2026',
    notes: [
      'scope_hex is the extension\'s UTF8String content octets exactly; scope_json is the JS text (they differ only '
        + 'for policy_invalid_latin1, where Kakunin writes each character as one octet)',
      'profile_serial is SPEC 10\'s serial text (lowercase), endpoint_serial its uppercase URL form, db_serial '
        + 'Kakunin\'s database text (uppercase, also the webhooks\' serial_number)',
      'expect is the expected outcome with the kakunin-2026 profile enabled',
    ],
    extension_arc: '1.3.6.1.4.1.99999',
    // A time at which every certificate is valid, every CRL current and every
    // webhook delivery inside its 5-minute window.
    now: '2026-12-01T12:32:00Z',
    root: { file: 'root.pem', der_file: 'root.der', key_file: 'root.key.pem', db_serial: root.dbSerial,
      serial_content_hex: certSerialContent(root.der).toString('hex'),
      not_before: CA_NOT_BEFORE.toISOString(), not_after: CA_NOT_AFTER.toISOString() },
    intermediate: { file: 'intermediate.pem', der_file: 'intermediate.der', key_file: 'intermediate.key.pem',
      db_serial: intermediate.dbSerial, serial_content_hex: certSerialContent(intermediate.der).toString('hex'),
      not_before: CA_NOT_BEFORE.toISOString(), not_after: CA_NOT_AFTER.toISOString() },
    leaves,
    crls,
    webhook_secret: WEBHOOK_SECRET,
    webhooks,
  };
  write('manifest.json', JSON.stringify(manifest, null, 2) + '\n');
  console.log(`wrote ${leaves.length} leaves, ${crls.length} CRLs, ${webhooks.length} webhook deliveries`);
}

main();
