//! `kakunin-verify`: the command-line tool of SPEC section 9.
//!
//! Exit status: 0 all allowed / success, 1 some denied / invalid input,
//! 2 usage or configuration error (an unreadable file included).
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use serde_json::json;

use kakunin_verify::audit::AuditRecord;
use kakunin_verify::certificate::{AgentCertificate, CertificateProfile, ExtensionOids};
use kakunin_verify::profile::kakunin::KakuninProfile;
use kakunin_verify::rawhttp::RawRequest;
use kakunin_verify::setup::VerifierFiles;
use kakunin_verify::signature::SignatureAlgorithm;
use kakunin_verify::signer::{random_nonce, AgentSigner, RequestToSign};
use kakunin_verify::{Clock, HttpRequest, ManualClock, SystemClock, Verifier};

#[derive(Parser)]
#[command(
    name = "kakunin-verify",
    version,
    about = "Verify Kakunin agent certificates and signed requests"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what a certificate (PEM or DER) says, without judging its chain.
    Inspect {
        /// The certificate file.
        cert: PathBuf,
        /// Also read certificates of this compatibility profile (`kakunin-2026`).
        #[arg(long)]
        profile: Option<String>,
    },
    /// Verify raw HTTP/1.1 request files, in order, through one verifier.
    Request(RequestArgs),
    /// Sign a request and print its headers.
    Sign(SignArgs),
}

#[derive(clap::Args)]
struct RequestArgs {
    /// Pinned root certificates (PEM).
    #[arg(long)]
    roots: PathBuf,
    /// Intermediate certificates (PEM).
    #[arg(long)]
    intermediates: Option<PathBuf>,
    /// CRL files (PEM or DER); repeatable.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// none | crl | ocsp | endpoint=URL
    #[arg(long)]
    revocation: Option<String>,
    /// The OCSP responder URL.
    #[arg(long)]
    ocsp_url: Option<String>,
    /// Accepted audiences; repeatable (default api.exchange.example).
    #[arg(long)]
    audience: Vec<String>,
    /// The route table file.
    #[arg(long)]
    routes: Option<PathBuf>,
    /// Fix the verifier's clock (RFC 3339 or Unix ms).
    #[arg(long)]
    now: Option<String>,
    /// Authorized model hashes, one lowercase hex SHA-256 per line.
    #[arg(long)]
    model_inventory: Option<PathBuf>,
    /// Keep nonces, rate windows and revoked serials in Redis.
    #[arg(long)]
    shared_store: Option<String>,
    /// Root certificates (PEM) for HTTPS revocation responders.
    #[arg(long)]
    tls_roots: Option<PathBuf>,
    /// Also accept certificates of this compatibility profile (`kakunin-2026`).
    #[arg(long)]
    profile: Option<String>,
    /// The scopes profile certificates hold (comma-separated; default none).
    #[arg(long)]
    profile_scopes: Option<String>,
    /// The verifier's venue name (checked against the profile's permitted venues).
    #[arg(long)]
    venue: Option<String>,
    /// Raw HTTP/1.1 request files.
    #[arg(required = true)]
    requests: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct SignArgs {
    /// The agent's PKCS#8 private key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// The agent's certificate (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// Intermediates to send in X-Agent-Chain (PEM).
    #[arg(long)]
    chain: Option<PathBuf>,
    /// The method.
    #[arg(long)]
    method: String,
    /// The request-target.
    #[arg(long)]
    target: String,
    /// The audience.
    #[arg(long, default_value = "api.exchange.example")]
    audience: String,
    /// The body file.
    #[arg(long)]
    body: Option<PathBuf>,
    /// Unix ms (default: now).
    #[arg(long)]
    timestamp: Option<u64>,
    /// The nonce (default: fresh random).
    #[arg(long)]
    nonce: Option<String>,
    /// The algorithm (default: from the key).
    #[arg(long)]
    algorithm: Option<String>,
    /// X-Agent-Model-Sha256.
    #[arg(long)]
    model_sha256: Option<String>,
    /// X-Agent-Prompt-Sha256.
    #[arg(long)]
    prompt_sha256: Option<String>,
}

/// A usage or configuration error: exit 2.
struct UsageError(String);

fn read(path: &Path) -> Result<Vec<u8>, UsageError> {
    std::fs::read(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { cert, profile } => inspect(&cert, profile.as_deref()),
        Command::Request(args) => request(args),
        Command::Sign(args) => sign(args),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(msg)) => {
            eprintln!("kakunin-verify: {msg}");
            ExitCode::from(2)
        }
    }
}

// SPEC 9 inspect (SPEC 10: `--profile kakunin-2026` maps profile
// certificates and shows the raw scope JSON beside the mapped policy).
fn inspect(path: &Path, profile: Option<&str>) -> Result<ExitCode, UsageError> {
    let profile =
        KakuninProfile::from_options(profile, None, None).map_err(|e| UsageError(e.to_string()))?;
    let bytes = read(path)?;
    let hook = profile.as_ref().map(|p| p as &dyn CertificateProfile);
    let parsed = AgentCertificate::from_pem_or_der_with(&bytes, &ExtensionOids::default(), hook)
        .and_then(|cert| {
            // A Kakunin extension that does not decode is input that does not
            // decode: say so rather than print `null` for it.
            cert.policy().as_result()?;
            cert.provenance().as_result()?;
            Ok(cert)
        });
    match parsed {
        Ok(cert) => {
            println!("{}", cert.to_inspect_json());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{}", e.to_json_body());
            Ok(ExitCode::from(1))
        }
    }
}

// SPEC 9: the verifier of `request`, from the same files and choices the
// example gateways take (`kakunin_verify::setup`). With `--shared-store`,
// the nonce store, rate limiter, daily limiter and revoked set live in
// Redis (feature `redis`), so several processes act as one verifier.
async fn build_verifier(args: &RequestArgs) -> Result<Verifier, UsageError> {
    let files = VerifierFiles {
        roots: args.roots.clone(),
        intermediates: args.intermediates.clone(),
        crl: args.crl.clone(),
        revocation: args.revocation.clone(),
        ocsp_url: args.ocsp_url.clone(),
        audiences: args.audience.clone(),
        routes: args.routes.clone(),
        model_inventory: args.model_inventory.clone(),
        tls_roots: args.tls_roots.clone(),
    };
    let clock: Arc<dyn Clock> = match &args.now {
        Some(t) => Arc::new(ManualClock::new(
            kakunin_verify::time::parse_time_ms(t).ok_or_else(|| {
                UsageError(format!("--now {t:?} is neither RFC 3339 nor Unix ms"))
            })?,
        )),
        None => Arc::new(SystemClock),
    };
    let profile = KakuninProfile::from_options(
        args.profile.as_deref(),
        args.profile_scopes.as_deref(),
        args.venue.as_deref(),
    )
    .map_err(|e| UsageError(e.to_string()))?;
    let mut builder = files
        .builder()
        .map_err(|e| UsageError(e.to_string()))?
        .clock(clock);
    if let Some(p) = profile {
        builder = builder.kakunin_profile(p);
    }
    let builder = shared_store(args, &files, builder).await?;
    builder.build().map_err(|e| UsageError(e.to_string()))
}

// SPEC 9 `--shared-store redis://HOST:PORT`: an unreachable store is not a
// usage error — every request is then `overloaded` (fail closed).
#[cfg(feature = "redis")]
async fn shared_store(
    args: &RequestArgs,
    files: &VerifierFiles,
    builder: kakunin_verify::VerifierBuilder,
) -> Result<kakunin_verify::VerifierBuilder, UsageError> {
    let Some(url) = &args.shared_store else {
        return Ok(builder);
    };
    let audience = files
        .audiences
        .first()
        .map_or(kakunin_verify::setup::DEFAULT_AUDIENCE, String::as_str);
    let shared = kakunin_verify::setup::SharedStore::connect(url, audience)
        .await
        .map_err(|e| UsageError(format!("--shared-store: {e}")))?;
    shared
        .apply(builder)
        .map_err(|e| UsageError(format!("--shared-store: {e}")))
}

#[cfg(not(feature = "redis"))]
async fn shared_store(
    args: &RequestArgs,
    _files: &VerifierFiles,
    builder: kakunin_verify::VerifierBuilder,
) -> Result<kakunin_verify::VerifierBuilder, UsageError> {
    match &args.shared_store {
        Some(s) => Err(UsageError(format!(
            "--shared-store {s}: this build has no Redis support (feature `redis`)"
        ))),
        None => Ok(builder),
    }
}

// SPEC 9 request.
fn request(args: RequestArgs) -> Result<ExitCode, UsageError> {
    let files = args
        .requests
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| UsageError(format!("runtime: {e}")))?;
    let verifier = runtime.block_on(async {
        let verifier = build_verifier(&args).await?;
        wait_for_shared_revoked_set(&verifier).await;
        Ok::<_, UsageError>(verifier)
    })?;
    let mut all_allowed = true;
    for bytes in files {
        let line = match RawRequest::parse(&bytes) {
            Ok(raw) => {
                let pairs = raw.header_pairs();
                let req = HttpRequest::new(&raw.method, &raw.target, &pairs, &raw.body);
                match runtime.block_on(verifier.verify(&req)) {
                    Ok(ok) => json!({
                        "decision": "allow", "code": null, "http_status": 200,
                        "agent_id": ok.agent_id(), "audit": ok.audit(),
                    }),
                    Err(denial) => {
                        all_allowed = false;
                        json!({
                            "decision": "deny", "code": denial.error.code(),
                            "http_status": denial.error.http_status(),
                            "agent_id": denial.audit.agent_id, "audit": denial.audit,
                        })
                    }
                }
            }
            Err(e) => {
                all_allowed = false;
                // The file is not an HTTP request: a denial all the same,
                // with the record of what could be established (nothing).
                let audit = AuditRecord {
                    event_type: "action.denied",
                    decision: "deny",
                    code: Some(e.code()),
                    http_status: e.http_status(),
                    verified_at: kakunin_verify::audit::AuditTime(verifier.clock().now_ms()),
                    ..AuditRecord::default()
                };
                json!({
                    "decision": "deny", "code": e.code(), "http_status": e.http_status(),
                    "agent_id": null, "audit": audit,
                })
            }
        };
        println!("{line}");
    }
    Ok(if all_allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// How long `request` gives a shared store to answer at start-up.
const STORE_START_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

// A shared revoked set must be mirrored before the first request, or that
// request is `overloaded`: wait for it, a bounded time.
async fn wait_for_shared_revoked_set(verifier: &Verifier) {
    let Some(shared) = verifier.revocation_cache().shared() else {
        return;
    };
    let deadline = tokio::time::Instant::now() + STORE_START_WAIT;
    while !shared.is_current() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

// SPEC 9 sign.
fn sign(args: SignArgs) -> Result<ExitCode, UsageError> {
    let chain = args.chain.as_deref().map(read).transpose()?;
    let mut signer = AgentSigner::from_pem(&read(&args.key)?, &read(&args.cert)?, chain.as_deref())
        .map_err(|e| UsageError(e.to_string()))?;
    if let Some(a) = &args.algorithm {
        let alg = SignatureAlgorithm::from_name(a)
            .ok_or_else(|| UsageError(format!("unknown algorithm {a:?}")))?;
        signer = signer
            .with_algorithm(alg)
            .map_err(|e| UsageError(e.to_string()))?;
    }
    let body = args
        .body
        .as_deref()
        .map(read)
        .transpose()?
        .unwrap_or_default();
    let nonce = match args.nonce {
        Some(n) => n,
        None => random_nonce().map_err(|e| UsageError(e.to_string()))?,
    };
    let timestamp_ms = args.timestamp.unwrap_or_else(|| SystemClock.now_ms());
    let headers = signer.sign(&RequestToSign {
        audience: &args.audience,
        method: &args.method,
        target: &args.target,
        body: &body,
        timestamp_ms,
        nonce: Some(&nonce),
        model_sha256: args.model_sha256.as_deref(),
        prompt_sha256: args.prompt_sha256.as_deref(),
    });
    match headers {
        Ok(h) => {
            for (name, value) in h {
                println!("{name}: {value}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{}", e.to_json_body());
            Ok(ExitCode::from(1))
        }
    }
}
