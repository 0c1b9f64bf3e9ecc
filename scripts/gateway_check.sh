#!/usr/bin/env bash
# End-to-end check of the example gateways (issue 8) as separate processes,
# with requests signed by the CLI's `sign` (real time) and sent by curl over
# real TCP and TLS: allow, replay, a limit, a webhook
# that revokes at once, and — behind mutual TLS — the header-less request
# and the handshake refusal; then two gateway processes on one real
# redis-server (`--shared-store`) acting as one verifier: a replay across
# them, a webhook on one revoking on the other, and `overloaded` once Redis
# is gone. Uses the shared v1 PKI (../shared/testvectors/v1).
#
#   scripts/gateway_check.sh            (builds what it needs, release)
set -euo pipefail
cd "$(dirname "$0")/.."
v1=../shared/testvectors/v1
test -d "$v1" || { echo "$v1 is missing" >&2; exit 1; }
for tool in curl openssl /usr/bin/redis-server; do
  command -v "$tool" >/dev/null || { echo "gateway_check needs $tool" >&2; exit 1; }
done

cargo build --quiet --release --features cli --bin kakunin-verify
cargo build --quiet --release --features axum,actix,tls,redis \
  --example axum_gateway --example mtls_gateway --example actix_gateway
bin=target/release/kakunin-verify
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

fail() { echo "gateway_check: $*" >&2; exit 1; }

# start NAME ARGS...: runs an example gateway on 127.0.0.1:0; sets $addr.
start() {
  local name=$1; shift
  local log="$work/$name.log"
  "target/release/examples/$name" "$@" --listen 127.0.0.1:0 2>"$log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    addr=$(grep -oE '[0-9.]+:[0-9]+$' "$log" | head -1 || true)
    [ -n "$addr" ] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log" >&2; fail "$name exited"; }
    sleep 0.1
  done
  cat "$log" >&2; fail "$name did not start"
}

# send URL AGENT BODY [curl args...]: signs POST /v1/trades as AGENT and
# prints "STATUS BODY".
send() {
  local url=$1 agent=$2 body=$3; shift 3
  printf '%s' "$body" >"$work/body.json"
  local args=()
  while IFS= read -r line; do
    args+=(-H "$line")
  done < <("$bin" sign --key "$v1/$agent.key" --cert "$v1/$agent.pem" \
             --method POST --target /v1/trades --body "$work/body.json" | grep -v "${OMIT:-^$}")
  curl -sS -o "$work/out" -w '%{http_code}' "${args[@]}" --data-binary @"$work/body.json" "$@" "$url/v1/trades"
  printf ' %s\n' "$(cat "$work/out")"
}

expect() {
  local got=$1 want=$2 what=$3
  case "$got" in
    "$want"*) echo "ok   $what: $got" ;;
    *) fail "$what: expected '$want…', got '$got'" ;;
  esac
}

order='{"market":"EUR_USD","size":45000,"direction":"BUY"}'
big='{"market":"EUR_USD","size":4500000,"direction":"BUY"}'
printf 'whsec_gateway_check' >"$work/secret"
# The v1 CRL is made for the vectors' fixed clock and is past its nextUpdate
# in real time (the gateways run on the system clock): revocation here is by
# push (SPEC 7.3), which the webhook below exercises.
common=(--roots "$v1/root.pem" --intermediates "$v1/intermediate.pem" --routes "$v1/routes.txt"
        --revocation none --webhook-secret-file "$work/secret")

# http_checks NAME: the HTTP checks against one gateway.
http_checks() {
local name=$1
echo "--- $name (HTTP)"
rm -f "$work/audit.jsonl"
start "$name" "${common[@]}" --audit-log "$work/audit.jsonl"
url="http://$addr"
first=$(OMIT='^$' send "$url" desk_bot_1 "$order")
expect "$first" '200 {"agent_id":"desk_bot_1","scope":"submit_limit_order"}' "signed trade allowed"
expect "$(send "$url" desk_bot_1 "$big")" '403 {"error":"amount_exceeds_limit"' "over the limit"
# A replay: the same signed request twice.
printf '%s' "$order" >"$work/body.json"
"$bin" sign --key "$v1/desk_bot_1.key" --cert "$v1/desk_bot_1.pem" --method POST \
  --target /v1/trades --body "$work/body.json" >"$work/headers"
hdrs=(); while IFS= read -r l; do hdrs+=(-H "$l"); done <"$work/headers"
r1=$(curl -sS -o /dev/null -w '%{http_code}' "${hdrs[@]}" --data-binary @"$work/body.json" "$url/v1/trades")
r2=$(curl -sS -w '%{http_code}' -o "$work/out" "${hdrs[@]}" --data-binary @"$work/body.json" "$url/v1/trades")
expect "$r1 $r2 $(cat "$work/out")" '200 401 {"error":"replayed_request"' "replay refused"
# A Kakunin webhook (SPEC 7.3) revokes desk_bot_1 at once.
serial=$(openssl x509 -in "$v1/desk_bot_1.pem" -noout -serial | cut -d= -f2)
event="{\"event\":\"certificate.revoked\",\"data\":{\"serial_number\":\"$serial\"}}"
t=$(date +%s)
mac=$(printf '%s' "$t.$event" | openssl dgst -sha256 -hmac "whsec_gateway_check" | sed 's/^.*= //')
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Kakunin-Signature: t=$t,v1=$mac" \
  --data-binary "$event" "$url/kakunin/webhook")
expect "$code" 204 "webhook applied"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Kakunin-Signature: t=$t,v1=00$mac" \
  --data-binary "$event" "$url/kakunin/webhook")
expect "$code" 401 "forged webhook"
expect "$(send "$url" desk_bot_1 "$order")" '401 {"error":"certificate_revoked"' "revoked by push"
lines=$(wc -l <"$work/audit.jsonl")
[ "$lines" -eq 5 ] || fail "audit trail: expected 5 records, got $lines"
echo "ok   audit trail: one record per request ($lines)"
}

(cd "$work" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
   -subj /CN=gateway-check-ca -keyout ca.key -out ca.pem 2>/dev/null \
 && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
   -keyout server.key -out server.csr 2>/dev/null \
 && printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext \
 && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
   -extfile ext -out server.pem 2>/dev/null)
# mtls_checks NAME: the mutual-TLS checks against one gateway.
mtls_checks() {
local name=$1
echo "--- $name (mutual TLS)"
start "$name" "${common[@]}" --tls-cert "$work/server.pem" --tls-key "$work/server.key"
port=${addr##*:}
url="https://localhost:$port"
tls=(--cacert "$work/ca.pem" --resolve "localhost:$port:127.0.0.1")
got=$(OMIT='^X-Agent-Certificate:' send "$url" desk_bot_1 "$order" \
  "${tls[@]}" --cert "$v1/desk_bot_1.pem" --key "$v1/desk_bot_1.key")
expect "$got" '200 {"agent_id":"desk_bot_1"' "mTLS, certificate header omitted"
got=$(send "$url" report_bot "$order" "${tls[@]}" --cert "$v1/desk_bot_1.pem" --key "$v1/desk_bot_1.key")
expect "$got" '400 {"error":"malformed_request"' "header differs from the TLS leaf"
if curl -sS -o /dev/null "${tls[@]}" "$url/v1/trades" 2>/dev/null; then
  fail "a client without a certificate was served"
fi
echo "ok   no client certificate: refused at the handshake"
}

# webhook URL: a SPEC 7.3 delivery revoking desk_bot_1; prints the status.
revoke_desk_bot_1() {
  local url=$1
  local serial event t mac
  serial=$(openssl x509 -in "$v1/desk_bot_1.pem" -noout -serial | cut -d= -f2)
  event="{\"event\":\"certificate.revoked\",\"data\":{\"serial_number\":\"$serial\"}}"
  t=$(date +%s)
  mac=$(printf '%s' "$t.$event" | openssl dgst -sha256 -hmac "whsec_gateway_check" | sed 's/^.*= //')
  curl -sS -o /dev/null -w '%{http_code}' -H "X-Kakunin-Signature: t=$t,v1=$mac" \
    --data-binary "$event" "$url/kakunin/webhook"
}

# fleet_checks: axum and actix gateways on one redis-server act as one
# verifier (SPEC 4.5, 7.3), and fail closed without it.
fleet_checks() {
echo "--- axum_gateway + actix_gateway on one redis-server (--shared-store)"
local port
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/redis"
/usr/bin/redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis" --save '' \
  --appendonly no >"$work/redis.log" 2>&1 &
local redis_pid=$!
pids+=("$redis_pid")
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
local store=(--shared-store "redis://127.0.0.1:$port")
start axum_gateway "${common[@]}" "${store[@]}"
local one="http://$addr"
start actix_gateway "${common[@]}" "${store[@]}"
local two="http://$addr"
printf '%s' "$order" >"$work/body.json"
"$bin" sign --key "$v1/desk_bot_1.key" --cert "$v1/desk_bot_1.pem" --method POST \
  --target /v1/trades --body "$work/body.json" >"$work/headers"
hdrs=(); while IFS= read -r l; do hdrs+=(-H "$l"); done <"$work/headers"
r1=$(curl -sS -o /dev/null -w '%{http_code}' "${hdrs[@]}" --data-binary @"$work/body.json" "$one/v1/trades")
r2=$(curl -sS -w '%{http_code}' -o "$work/out" "${hdrs[@]}" --data-binary @"$work/body.json" "$two/v1/trades")
expect "$r1 $r2 $(cat "$work/out")" '200 401 {"error":"replayed_request"' "replayed on the other gateway"
expect "$(send "$two" desk_bot_1 "$order")" '200 ' "a fresh request on the other gateway"
expect "$(revoke_desk_bot_1 "$one")" 204 "webhook applied on the first gateway"
# The announcement crosses pub/sub: give it a moment.
local got=""
for _ in $(seq 1 50); do
  got=$(send "$two" desk_bot_1 "$order")
  case "$got" in 401*certificate_revoked*) break ;; esac
  sleep 0.1
done
expect "$got" '401 {"error":"certificate_revoked"' "revoked on the second gateway"
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
got=""
for _ in $(seq 1 50); do
  got=$(send "$one" eth_exec_01 "$order")
  case "$got" in 503*) break ;; esac
  sleep 0.1
done
expect "$got" '503 {"error":"overloaded"' "Redis gone: fail closed"
}

# kakunin_checks NAME: SPEC 10 — a Kakunin-issued certificate (node-forge
# fixtures, negative serial) through a gateway with `--profile kakunin-2026`:
# allowed, refused for its size, revoked by a webhook in Kakunin's own form;
# and refused as SPEC 2 says by a gateway without the profile.
kakunin_checks() {
local name=$1
local k=testdata/kakunin
echo "--- $name (--profile kakunin-2026)"
local secret
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["webhook_secret"])' "$k/manifest.json")
printf '%s' "$secret" >"$work/ksecret"
local weights
weights=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print([l for l in m["leaves"] if l["name"]=="leaf_negative"][0]["weights_sha256"])' "$k/manifest.json")
ksend() {
  local url=$1 body=$2
  printf '%s' "$body" >"$work/kbody.json"
  local args=()
  while IFS= read -r line; do args+=(-H "$line"); done < <("$bin" sign \
      --key "$k/leaves/leaf_negative.key.pem" --cert "$k/leaves/leaf_negative.pem" \
      --method POST --target /v1/trades --body "$work/kbody.json" --model-sha256 "$weights")
  curl -sS -o "$work/out" -w '%{http_code}' "${args[@]}" --data-binary @"$work/kbody.json" "$url/v1/trades"
  printf ' %s\n' "$(cat "$work/out")"
}
local kcommon=(--roots "$k/root.pem" --intermediates "$k/intermediate.pem" --routes "$v1/routes.txt"
               --revocation none --webhook-secret-file "$work/ksecret")
start "$name" "${kcommon[@]}" --profile kakunin-2026 --profile-scopes submit_limit_order --venue Kraken
local url="http://$addr"
expect "$(ksend "$url" '{"market":"EUR_USD","size":1000,"direction":"BUY"}')" \
  '200 {"agent_id":"' "Kakunin certificate (negative serial) allowed"
expect "$(ksend "$url" '{"market":"EUR_USD","size":30000,"direction":"BUY"}')" \
  '403 {"error":"amount_exceeds_limit"' "over max_single_trade_usd"
# Kakunin's own webhook form: X-Kakunin-Timestamp (ms) + sha256=HMAC("{ms}.{body}").
local serial event ms mac
serial=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print([l for l in m["leaves"] if l["name"]=="leaf_negative"][0]["profile_serial"].upper())' "$k/manifest.json")
event="{\"event\":\"certificate.revoked\",\"data\":{\"serial_number\":\"$serial\"}}"
ms=$(($(date +%s) * 1000))
mac=$(printf '%s' "$ms.$event" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= //')
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Kakunin-Timestamp: $ms" \
  -H "X-Kakunin-Signature: sha256=$mac" --data-binary "$event" "$url/kakunin/webhook")
expect "$code" 204 "Kakunin-form webhook applied"
expect "$(ksend "$url" '{"market":"EUR_USD","size":1000,"direction":"BUY"}')" \
  '401 {"error":"certificate_revoked"' "revoked by Kakunin's webhook"
start "$name" "${kcommon[@]}"
expect "$(ksend "http://$addr" '{"market":"EUR_USD","size":1000,"direction":"BUY"}')" \
  '401 {"error":"malformed_certificate"' "without the profile: SPEC 2 refuses the negative serial"
}

http_checks axum_gateway
http_checks actix_gateway
kakunin_checks axum_gateway
kakunin_checks actix_gateway
mtls_checks mtls_gateway
mtls_checks actix_gateway
fleet_checks
echo "gateway_check: all passed"
