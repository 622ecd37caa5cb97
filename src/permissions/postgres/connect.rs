//! Connecting: the URL checked, timeouts set, TLS as `sslmode` says.

use std::time::Duration;

use postgres::{Client, Config};

use super::DbError;

/// How long connecting may take (the URL's `connect_timeout` wins).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one statement may take (an `options=-c statement_timeout=...`
/// in the URL wins).
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long sent data may stay unacknowledged before the connection is
/// given up (a dead server that never answers).
pub const TCP_USER_TIMEOUT: Duration = Duration::from_secs(15);

/// A parsed store URL (`postgres://user:password@host:port/db?sslmode=...`).
///
/// ```
/// use studioflow::permissions::postgres::StoreUrl;
/// let url = StoreUrl::parse("postgres://app:secret@db.example:5433/flows?sslmode=require").unwrap();
/// assert_eq!(url.shown(), "postgres://app:***@db.example:5433/flows?sslmode=require");
/// assert!(StoreUrl::parse("mysql://x").is_err());
/// ```
#[derive(Clone)]
pub struct StoreUrl {
    config: Config,
    shown: String,
    /// `sslrootcert`: a PEM file of certificates trusted besides the web's roots.
    root_cert: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl StoreUrl {
    /// Parses `url`; only `postgres://` and `postgresql://` URLs are taken.
    pub fn parse(url: &str) -> Result<StoreUrl, DbError> {
        let shown = hide_password(url);
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(DbError::BadUrl(format!(
                "{shown:?} (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
            )));
        }
        let (url, root_cert) =
            libpq_tls_options(url).map_err(|e| DbError::BadUrl(format!("{shown:?}: {e}")))?;
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| DbError::BadUrl(format!("{shown:?}: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let options = config.get_options().unwrap_or("").to_string();
        if !options.contains("statement_timeout") {
            let ms = STATEMENT_TIMEOUT.as_millis();
            config.options(format!("{options} -c statement_timeout={ms}").trim());
        }
        config.application_name("studioflow");
        // A Unix socket (`postgres://me@%2Fvar%2Frun%2Fpostgresql/db`) is
        // local: libpq never uses TLS on one, and a path is no name a
        // certificate could carry.
        #[cfg(unix)]
        if !config.get_hosts().is_empty()
            && config
                .get_hosts()
                .iter()
                .all(|host| matches!(host, postgres::config::Host::Unix(_)))
        {
            config.ssl_mode(postgres::config::SslMode::Disable);
        }
        // A server that vanishes without closing the connection (a cable
        // cut, a frozen host) is noticed by the kernel within seconds,
        // rather than leaving a write waiting on a dead socket.
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5))
            .keepalives_interval(Duration::from_secs(2))
            .keepalives_retries(3)
            .tcp_user_timeout(TCP_USER_TIMEOUT);
        Ok(StoreUrl {
            config,
            shown,
            root_cert,
        })
    }

    /// The URL with its password hidden, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub(crate) fn query_error(&self, e: postgres::Error) -> DbError {
        DbError::Query {
            url: self.shown.clone(),
            message: one_line(&e),
        }
    }
}

/// Takes what libpq's URLs say about TLS that the client crate does not
/// read: `sslrootcert=PATH` (removed, returned) and `sslmode=verify-ca` /
/// `verify-full` (read as `require`: studioflow always verifies the
/// server's certificate and name, see [`connect`]).
fn libpq_tls_options(url: &str) -> Result<(String, Option<std::path::PathBuf>), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None));
    };
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
        match key {
            "sslrootcert" if decoded.is_empty() => return Err("sslrootcert is empty".into()),
            "sslrootcert" => root_cert = Some(std::path::PathBuf::from(decoded.as_ref())),
            "sslmode" if matches!(decoded.as_ref(), "verify-ca" | "verify-full") => {
                kept.push("sslmode=require".to_string())
            }
            "sslmode" if !matches!(decoded.as_ref(), "disable" | "prefer" | "require") => {
                return Err(format!(
                    "sslmode {decoded:?} (expected disable, prefer, require, verify-ca or verify-full)"
                ))
            }
            _ => kept.push(pair.to_string()),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, root_cert))
}

/// An error's message with its causes, on one line.
fn one_line(e: &postgres::Error) -> String {
    let mut text = match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text.replace(['\n', '\r'], " ")
}

fn hide_password(url: &str) -> String {
    // scheme://user:password@host...
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.find('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// Connects to the store: TLS (rustls) when the URL's `sslmode` asks for
/// it (`prefer`, `require`, `verify-ca`, `verify-full`), the timeouts set.
///
/// The server's certificate is always verified, name included, against
/// the web's root certificates and those in the URL's `sslrootcert` file:
/// unlike libpq, `require` does not mean "encrypt but trust anyone" (a
/// store holds who may do what; a man in the middle must not be able to
/// answer for it). A server with a private CA gives it with
/// `sslrootcert=/path/ca.crt`.
pub fn connect(url: &StoreUrl) -> Result<Client, DbError> {
    if url.config.get_ssl_mode() == postgres::config::SslMode::Disable {
        // No TLS connector at all: rustls's would refuse a Unix socket's
        // path as a server name before the connection is even tried.
        return url
            .config
            .connect(postgres::NoTls)
            .map_err(|e| DbError::Connect {
                url: url.shown.clone(),
                message: one_line(&e),
            });
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &url.root_cert {
        add_root_certificates(&mut roots, path).map_err(|message| DbError::Connect {
            url: url.shown.clone(),
            message,
        })?;
    }
    // ring, as the command line's HTTP client uses (no C toolchain for
    // aws-lc); named here rather than installed process-wide, so a host
    // with another provider is not disturbed. ring has no post-quantum key
    // exchange, hence the deprecation.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let tls_config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::Connect {
            url: url.shown.clone(),
            message: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config);
    url.config.connect(tls).map_err(|e| {
        let mut message = one_line(&e);
        if message.contains("UnknownIssuer") {
            message.push_str(
                " (the server's certificate is not signed by a trusted authority: give its CA with sslrootcert=PATH in the URL)",
            );
        }
        DbError::Connect {
            url: url.shown.clone(),
            message,
        }
    })
}

/// Adds every certificate of a PEM file to `roots`; names the file on failure.
fn add_root_certificates(
    roots: &mut rustls::RootCertStore,
    path: &std::path::Path,
) -> Result<(), String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let shown = path.display();
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("sslrootcert {shown}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("sslrootcert {shown}: {e}"))?;
    if certificates.is_empty() {
        return Err(format!("sslrootcert {shown}: no PEM certificate in it"));
    }
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|e| format!("sslrootcert {shown}: {e}"))?;
    }
    Ok(())
}
