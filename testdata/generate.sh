#!/usr/bin/env bash
# Regenerates testdata/pki/: the test PKI of kakunin-verify (SPEC sections 1-3).
#
# Uses only the `openssl` CLI (tested with OpenSSL 3.0) plus coreutils
# (od, printf, sed, tr, cut). The layout, names, subjects, extensions and
# dates are fixed; keys, serials and signatures are fresh on every run.
#
# Dates are fixed with `openssl ca -startdate/-enddate` and a throwaway CA
# database per signature (OpenSSL 3.0's `x509` has no -not_before/-not_after).
# What OpenSSL cannot emit (a Kakunin extension twice, a negative or a
# 21-octet serial) is made by editing the TBSCertificate DER of a normal
# certificate and re-signing it with `openssl dgst -sign` (see `resign`).
set -euo pipefail

cd "$(dirname "$0")"
OUT=pki
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export OPENSSL_CONF=/dev/null

POLICY_OID=1.3.6.1.4.1.32473.1.1
PROVENANCE_OID=1.3.6.1.4.1.32473.1.2

# Fixed dates (UTCTime, as `openssl ca` wants them).
ROOT_START=260101000000Z ROOT_END=360101000000Z
INT_START=260101000000Z INT_END=310101000000Z
LEAF_START=260528000000Z LEAF_END=270528000000Z # exactly 365 days

rm -rf "$OUT"
mkdir -p "$OUT"/{rsa2048,p256,p384,ed25519,bad,untrusted}

# --- helpers ---------------------------------------------------------------

# genkey TYPE OUT: an unencrypted PKCS#8 PEM private key.
genkey() {
  case "$1" in
    rsa1024) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$2" ;;
    rsa2048) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" ;;
    p256) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
      -pkeyopt ec_param_enc:named_curve -out "$2" ;;
    p384) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
      -pkeyopt ec_param_enc:named_curve -out "$2" ;;
    p521) openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-521 \
      -pkeyopt ec_param_enc:named_curve -out "$2" ;;
    ed25519) openssl genpkey -quiet -algorithm ED25519 -out "$2" ;;
    *) echo "unknown key type $1" >&2; exit 1 ;;
  esac
}

# The digest `openssl ca` / `dgst` use with a key of this type.
md_for() {
  case "$1" in
    ed25519) echo default ;;
    p384) echo sha384 ;;
    *) echo sha256 ;;
  esac
}

# A positive 16-octet serial, hex.
rand_serial() {
  local s
  s=$(openssl rand -hex 16)
  echo "5${s:1}"
}

cat >"$WORK/ca.cnf" <<'EOF'
[ca]
default_ca = CA_default
[CA_default]
database = $ENV::CADB/index.txt
serial = $ENV::CADB/serial
new_certs_dir = $ENV::CADB
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[policy_any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
EOF

cat >"$WORK/ca_ext.cnf" <<'EOF'
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

# sign KEY_TYPE_OF_ISSUER CSR ISSUER_CERT|-self ISSUER_KEY EXTFILE SECTION START END OUT
sign() {
  local itype=$1 csr=$2 icert=$3 ikey=$4 extfile=$5 section=$6 start=$7 end=$8 out=$9
  local db
  db=$(mktemp -d "$WORK/db.XXXXXX")
  touch "$db/index.txt"
  rand_serial >"$db/serial"
  local issuer=(-cert "$icert")
  [ "$icert" = -self ] && issuer=(-selfsign)
  CADB=$db openssl ca -batch -notext -preserveDN -config "$WORK/ca.cnf" \
    -md "$(md_for "$itype")" "${issuer[@]}" -keyfile "$ikey" -in "$csr" \
    -startdate "$start" -enddate "$end" -extfile "$extfile" -extensions "$section" \
    -out "$out" 2>"$db/log" || { cat "$db/log" >&2; exit 1; }
}

# make_ca DIR TYPE NAME: DIR/root.pem, DIR/intermediate.pem (+ keys in $WORK).
make_ca() {
  local dir=$1 type=$2 name=$3 tag
  tag=$(echo "$dir" | tr / _)
  genkey "$type" "$WORK/$tag.root.key"
  genkey "$type" "$WORK/$tag.int.key"
  openssl req -new -key "$WORK/$tag.root.key" -subj "/O=Kakunin Samples/CN=$name Root" \
    -out "$WORK/$tag.root.csr"
  openssl req -new -key "$WORK/$tag.int.key" -subj "/O=Kakunin Samples/CN=$name Intermediate" \
    -out "$WORK/$tag.int.csr"
  sign "$type" "$WORK/$tag.root.csr" -self "$WORK/$tag.root.key" "$WORK/ca_ext.cnf" root \
    "$ROOT_START" "$ROOT_END" "$dir/root.pem"
  sign "$type" "$WORK/$tag.int.csr" "$dir/root.pem" "$WORK/$tag.root.key" "$WORK/ca_ext.cnf" \
    intermediate "$INT_START" "$INT_END" "$dir/intermediate.pem"
}

hex_of() { od -An -tx1 -v "$1" | tr -d ' \n'; }
# unhex HEX OUT
unhex() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')" >"$2"; }

# der_genconf: reads an `asn1parse -genconf` file on stdin, prints the DER in hex.
der_genconf() {
  local f
  f=$(mktemp "$WORK/gen.XXXXXX")
  cat >"$f.cnf"
  openssl asn1parse -genconf "$f.cnf" -noout -out "$f.der"
  hex_of "$f.der"
}

sha256_hex() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -c1-64; }

# The sample agentPolicy of SPEC 3 as a genconf file; variants are sed edits of it.
policy_conf() {
  cat <<'EOF'
asn1 = SEQUENCE:policy
[policy]
version = INTEGER:1
scopes = IMPLICIT:0,SEQUENCE:scopes
maxTransaction = IMPLICIT:1,SEQUENCE:amount
allowedMarkets = IMPLICIT:2,SEQUENCE:markets
revocationTimeout = IMPLICIT:3,INTEGER:15
dataAccess = IMPLICIT:4,SEQUENCE:rules
allowedHours = IMPLICIT:5,SEQUENCE:hours
rateLimit = IMPLICIT:6,SEQUENCE:rate
[scopes]
s0 = UTF8String:submit_limit_order
s1 = UTF8String:query_anonymized_order_book
s2 = UTF8String:read_data
s3 = UTF8String:write_report
s4 = UTF8String:cancel_order
[amount]
mantissa = INTEGER:50000
exponent = INTEGER:0
currency = UTF8String:USD
[markets]
m0 = UTF8String:EUR_USD
m1 = UTF8String:GBP_USD
[rules]
r0 = SEQUENCE:rule_processed
r1 = SEQUENCE:rule_reports
r2 = SEQUENCE:rule_raw
[rule_processed]
effect = ENUMERATED:0
pattern = UTF8String:/data/processed/*
operations = SEQUENCE:ops_read
[rule_reports]
effect = ENUMERATED:0
pattern = UTF8String:/reports/*
operations = SEQUENCE:ops_write
[rule_raw]
effect = ENUMERATED:1
pattern = UTF8String:/data/raw/*
operations = SEQUENCE:ops_read_write
[ops_read]
op_r = UTF8String:read
[ops_write]
op_w = UTF8String:write
[ops_read_write]
op_r = UTF8String:read
op_w = UTF8String:write
[hours]
startMinute = INTEGER:480
endMinute = INTEGER:1200
[rate]
maxActions = INTEGER:1000
periodSeconds = INTEGER:60
EOF
}

WEIGHTS_SHA256=$(sha256_hex weights)
PROMPT_SHA256=$(sha256_hex prompt)

provenance_conf() { # WEIGHTS_HEX
  cat <<EOF
asn1 = SEQUENCE:provenance
[provenance]
modelName = UTF8String:sample-model
modelVersion = IMPLICIT:0,UTF8String:1
weightsSha256 = IMPLICIT:1,FORMAT:HEX,OCTETSTRING:$1
systemPromptSha256 = IMPLICIT:2,FORMAT:HEX,OCTETSTRING:$PROMPT_SHA256
EOF
}

POLICY_HEX=$(policy_conf | der_genconf)
PROVENANCE_HEX=$(provenance_conf "$WEIGHTS_SHA256" | der_genconf)

# make_leaf DIR NAME KEYTYPE ISSUER_DIR ISSUER_TYPE
# Writes DIR/NAME.pem and DIR/NAME.key. Environment overrides (empty = omit):
#   ID (agent id), SAN, BC, KU, EKU, POLICY (an extension line value), PROV,
#   EXTRA (raw extra config lines), START, END
make_leaf() {
  local dir=$1 name=$2 ktype=$3 idir=$4 itype=$5
  local itag id
  itag=$(echo "$idir" | tr / _)
  id=${ID-$name}
  local ext
  ext="$WORK/$(echo "$dir.$name" | tr / _).ext"
  {
    echo "[leaf]"
    [ -n "${BC-critical,CA:FALSE}" ] && echo "basicConstraints = ${BC-critical,CA:FALSE}"
    [ -n "${KU-critical,digitalSignature}" ] && echo "keyUsage = ${KU-critical,digitalSignature}"
    [ -n "${EKU-clientAuth}" ] && echo "extendedKeyUsage = ${EKU-clientAuth}"
    echo "subjectKeyIdentifier = hash"
    echo "authorityKeyIdentifier = keyid"
    local san=${SAN-URI:urn:kakunin:agent:$id,DNS:$(echo "$id" | tr _ -).agents.example}
    [ -n "$san" ] && echo "subjectAltName = $san"
    [ -n "${POLICY-DER:$POLICY_HEX}" ] && echo "$POLICY_OID = ${POLICY-DER:$POLICY_HEX}"
    [ -n "${PROV-}" ] && echo "$PROVENANCE_OID = $PROV"
    [ -n "${EXTRA-}" ] && echo "$EXTRA"
    true
  } >"$ext"
  genkey "$ktype" "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/O=Kakunin Samples/CN=$id" \
    -out "$WORK/$(basename "$ext").csr"
  sign "$itype" "$WORK/$(basename "$ext").csr" "$idir/intermediate.pem" "$WORK/$itag.int.key" \
    "$ext" leaf "${START-$LEAF_START}" "${END-$LEAF_END}" "$dir/$name.pem"
}

# resign PEM ISSUER_KEY MODE: edits the TBSCertificate of PEM in place and
# re-signs it with ISSUER_KEY (ECDSA P-256 / SHA-256, as the original).
#   MODE serial:HEX      replace the serial's content octets with HEX
#   MODE dup-policy      append a second copy of the agentPolicy extension
der_len() {
  local n=$1
  if ((n < 128)); then printf '%02x' "$n"
  elif ((n < 256)); then printf '81%02x' "$n"
  elif ((n < 65536)); then printf '82%04x' "$n"
  else printf '83%06x' "$n"; fi
}
tlv() { printf '%s%s%s' "$1" "$(der_len $((${#2} / 2)))" "$2"; }
# elements DERFILE DEPTH MIN MAX: "offset hl len" of the elements at DEPTH
# whose offset is in MIN..MAX.
elements() {
  local off hl len
  openssl asn1parse -inform DER -in "$1" |
    sed -n "s/^ *\([0-9]*\):d=$2 *hl=\([0-9]*\) *l= *\([0-9]*\) .*/\1 \2 \3/p" |
    while read -r off hl len; do
      if ((off >= $3 && off <= $4)); then echo "$off $hl $len"; fi
    done
}
resign() {
  local pem=$1 ikey=$2 mode=$3
  local der="$WORK/resign.der" hex tbs_children="" sigalg="" ext_off=0
  openssl x509 -in "$pem" -outform DER -out "$der"
  hex=$(hex_of "$der")
  local off hl len i=0 tbs_end=0
  # Certificate: tbs, signatureAlgorithm, signature (depth 1).
  while read -r off hl len; do
    [ $i -eq 0 ] && tbs_end=$((off + hl + len - 1))
    [ $i -eq 1 ] && sigalg=${hex:$((off * 2)):$(((hl + len) * 2))}
    i=$((i + 1))
  done < <(elements "$der" 1 0 999999)
  # TBSCertificate children (depth 2).
  local exts_off=-1 serial_done=0
  while read -r off hl len; do
    local el=${hex:$((off * 2)):$(((hl + len) * 2))}
    if [ "${el:0:2}" = 02 ] && [ $serial_done -eq 0 ] && [[ $mode == serial:* ]]; then
      el=$(tlv 02 "${mode#serial:}")
      serial_done=1
    elif [ "${el:0:2}" = a3 ]; then
      exts_off=$off
      continue
    fi
    tbs_children+=$el
  done < <(elements "$der" 2 0 "$tbs_end")
  # Extensions (depth 4, after the [3]).
  local exts=""
  while read -r off hl len; do
    local el=${hex:$((off * 2)):$(((hl + len) * 2))}
    exts+=$el
    if [ "$mode" = dup-policy ] && [[ $el == *"$(tlv 06 2b0601040181fd590101)"* ]]; then
      exts+=$el
    fi
  done < <(elements "$der" 4 "$exts_off" "$tbs_end")
  [ "$exts_off" -ge 0 ] && tbs_children+=$(tlv a3 "$(tlv 30 "$exts")")
  local tbs
  tbs=$(tlv 30 "$tbs_children")
  unhex "$tbs" "$WORK/tbs.der"
  openssl dgst -sha256 -sign "$ikey" -out "$WORK/sig.der" "$WORK/tbs.der"
  unhex "$(tlv 30 "$tbs$sigalg$(tlv 03 "00$(hex_of "$WORK/sig.der")")")" "$WORK/cert.der"
  openssl x509 -inform DER -in "$WORK/cert.der" -out "$pem"
}

# --- valid chains ----------------------------------------------------------

make_ca "$OUT/rsa2048" rsa2048 "Kakunin Test RSA"
make_ca "$OUT/p256" p256 "Kakunin Test P-256"
make_ca "$OUT/p384" p384 "Kakunin Test P-384"
make_ca "$OUT/ed25519" ed25519 "Kakunin Test Ed25519"

ID=sample_rsa2048 make_leaf "$OUT/rsa2048" leaf rsa2048 "$OUT/rsa2048" rsa2048
ID=sample_p256 PROV="DER:$PROVENANCE_HEX" make_leaf "$OUT/p256" leaf p256 "$OUT/p256" p256
ID=sample_p384 make_leaf "$OUT/p384" leaf p384 "$OUT/p384" p384
ID=sample_ed25519 make_leaf "$OUT/ed25519" leaf ed25519 "$OUT/ed25519" ed25519

# --- profile violations, all under the p256 intermediate ---------------------

B=$OUT/bad
P=$OUT/p256
P_INT_KEY="$WORK/$(echo "$P" | tr / _).int.key"
bad() { make_leaf "$B" "$1" "${KEYTYPE:-p256}" "$P" p256; }

# SPEC 2 rules judged as malformed_certificate.
KEYTYPE=rsa1024 bad rsa1024
KEYTYPE=p521 bad ec_p521 # not a leaf key type SPEC 2 allows
END=270702000000Z bad validity_400d # 2026-05-28 + 400 days
SAN="URI:urn:kakunin:agent:two_urns_a,URI:urn:kakunin:agent:two_urns_b" bad two_urns
SAN="DNS:no-urn.agents.example" bad no_urn
SAN="URI:urn:kakunin:agent:bad id!,DNS:bad-urn-id.agents.example" bad bad_urn_id
SAN="URI:URN:KAKUNIN:AGENT:ok_id,DNS:ok-id.agents.example" bad urn_prefix_uppercase # valid
bad negative_serial
resign "$B/negative_serial.pem" "$P_INT_KEY" serial:fb # -5
bad serial_21_octets
resign "$B/serial_21_octets.pem" "$P_INT_KEY" serial:0102030405060708090a0b0c0d0e0f101112131415
bad serial_zero
resign "$B/serial_zero.pem" "$P_INT_KEY" serial:00
# Valid boundary: 20 content octets, the 00 sign octet included.
bad serial_20_octets
resign "$B/serial_20_octets.pem" "$P_INT_KEY" serial:00ff02030405060708090a0b0c0d0e0f10111213
START=270528000000Z END=260528000000Z bad inverted_validity # notAfter < notBefore

# Decided when the leaf is parsed (malformed_certificate).
POLICY="critical,DER:$POLICY_HEX" bad critical_policy
bad duplicate_policy
resign "$B/duplicate_policy.pem" "$P_INT_KEY" dup-policy

# Path validation rules (untrusted_chain).
EKU="" bad no_eku
EKU="serverAuth" bad eku_server_only
KU="" bad no_key_usage
KU="critical,keyEncipherment" bad ku_no_digital_signature
BC="critical,CA:TRUE" bad ca_true

# Extension contents (policy_invalid).
POLICY="DER:$(policy_conf | sed 's/^version = INTEGER:1$/version = INTEGER:2/' | der_genconf)" \
  bad policy_version2
POLICY="DER:$(policy_conf | sed 's/^exponent = INTEGER:0$/exponent = INTEGER:19/' | der_genconf)" \
  bad policy_exponent19
POLICY="DER:$(policy_conf | sed 's/^mantissa = INTEGER:50000$/mantissa = INTEGER:-50000/' | der_genconf)" \
  bad policy_negative_mantissa
POLICY="DER:$(policy_conf | sed 's/^op_w = UTF8String:write$/op_w = UTF8String:delete/' | der_genconf)" \
  bad policy_bad_operation
POLICY="DER:$(policy_conf | sed 's#^pattern = UTF8String:/data/processed/\*$#pattern = UTF8String:data/*#' | der_genconf)" \
  bad policy_relative_pattern
POLICY="DER:$(policy_conf | sed 's/^endMinute = INTEGER:1200$/endMinute = INTEGER:480/' | der_genconf)" \
  bad policy_hours_equal
POLICY="DER:${POLICY_HEX}0000" bad policy_trailing_bytes
PROV="DER:$(provenance_conf "${WEIGHTS_SHA256:0:62}" | der_genconf)" bad provenance_short_hash

# No agentPolicy: authenticates, authorizes nothing (policy_missing later).
POLICY="" bad no_policy

# Validity (certificate_expired / certificate_not_yet_valid at "now" 2026-07-01).
START=250101000000Z END=251231000000Z bad expired
START=261201000000Z END=270601000000Z bad not_yet_valid

# An unrelated non-critical extension whose OID has an arc beyond 32 bits.
EXTRA="1.2.3.99999999999 = DER:0500" bad oid_arc_64bit

# --- a valid-looking chain under a root nobody pins ---------------------------

make_ca "$OUT/untrusted" p256 "Kakunin Untrusted"
ID=sample_untrusted make_leaf "$OUT/untrusted" leaf p256 "$OUT/untrusted" p256

# --- sanity: the valid chains verify at the tests' "now" ----------------------
NOW=$(date -u -d 2026-07-01T09:15:00Z +%s 2>/dev/null || echo 1782897300)
for d in rsa2048 p256 p384 ed25519 untrusted; do
  openssl verify -attime "$NOW" -x509_strict -purpose sslclient -CAfile "$OUT/$d/root.pem" \
    -untrusted "$OUT/$d/intermediate.pem" "$OUT/$d/leaf.pem" >/dev/null
done
for f in negative_serial serial_21_octets serial_zero serial_20_octets duplicate_policy; do
  openssl verify -attime "$NOW" -CAfile "$P/root.pem" -untrusted "$P/intermediate.pem" \
    "$B/$f.pem" >/dev/null 2>&1 ||
    openssl x509 -in "$B/$f.pem" -noout # at least it parses
done
echo "wrote $(find "$OUT" -type f | wc -l) files under testdata/$OUT"
