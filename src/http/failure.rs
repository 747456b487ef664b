//! What a failed attempt means: what the server may have seen, whether and how it is resent,
//! and the error the caller gets, with every secret taken out.

use std::time::Duration;

use serde_json::Value;

use super::call::{encode_component, Call};
use super::connect::Progress;
use crate::error::{ApiError, Cause, Error, Sent};

/// How a failed attempt may be resent (before the call's own policy has its say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// Never: it would fail the same way (DNS, TLS, a body too large, a refused redirect).
    Never,
    /// A few quick times within about 2 s: nothing was sent, and a server that is down stays down.
    Briefly,
    /// With the exponential backoff, up to the client's retries.
    Backoff,
}

/// A failed attempt and what it means for resending.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    /// What the server may have seen of it.
    pub sent: Sent,
    /// The server cannot have acted on the request (nothing sent, or 429).
    pub not_processed: bool,
    /// The request was sent and no answer (or a cut one) came back.
    pub lost: bool,
    pub resend: Resend,
}

impl Failure {
    /// A failure whose answer came back as an error status.
    pub(crate) fn api(api: ApiError) -> Failure {
        let status = api.status;
        Failure {
            error: Error::Api(Box::new(api)),
            sent: Sent::Yes,
            not_processed: status == 429,
            lost: false,
            resend: if status == 429 || status >= 500 {
                Resend::Backoff
            } else {
                Resend::Never
            },
        }
    }

    /// A failure that resending cannot mend (the server answered, and will answer the same).
    pub(crate) fn final_answer(error: Error) -> Failure {
        Failure {
            error,
            sent: Sent::Yes,
            not_processed: false,
            lost: false,
            resend: Resend::Never,
        }
    }

    /// A success answer that could not be read whole or decoded: the server acted, the answer
    /// is lost.
    pub(crate) fn lost_answer(error: Error) -> Failure {
        Failure {
            error,
            sent: Sent::Yes,
            not_processed: false,
            lost: true,
            resend: Resend::Backoff,
        }
    }
}

/// The server a client talks to, as messages name it: scheme, host and port, never credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of an absolute URL (`None` if it has no scheme or host).
    pub(crate) fn of(uri: &ureq::http::Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = uri.host()?.to_ascii_lowercase();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        Some(Origin { scheme, host, port })
    }

    /// `127.0.0.1:8765 (http)`.
    pub(crate) fn describe(&self) -> String {
        format!("{}:{} ({})", self.host, self.port, self.scheme)
    }
}

/// The texts that must never leave the client: the token (as sent and percent-encoded) and
/// the base URL's credentials.
#[derive(Debug, Default)]
pub(crate) struct Secrets(Vec<String>);

impl Secrets {
    pub(crate) fn new(token: Option<&str>, base_url: &ureq::http::Uri) -> Secrets {
        let mut list = Vec::new();
        if let Some(t) = token.filter(|t| !t.is_empty()) {
            list.push(t.to_string());
            list.push(encode_component(t));
        }
        if let Some(auth) = base_url.authority() {
            if let Some((userinfo, _)) = auth.as_str().rsplit_once('@') {
                list.push(userinfo.to_string());
                if let Some((_, password)) = userinfo.split_once(':') {
                    list.push(password.to_string());
                }
            }
        }
        list.retain(|s| !s.is_empty());
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
        list.dedup();
        Secrets(list)
    }

    /// Adds a secret (a proxy's credentials).
    pub(crate) fn add(&mut self, secret: Option<&str>) {
        if let Some(s) = secret.filter(|s| !s.is_empty()) {
            self.0.push(s.to_string());
            self.0.sort_by_key(|s| std::cmp::Reverse(s.len()));
            self.0.dedup();
        }
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.0 {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }

    pub(crate) fn redact_error(&self, mut error: Error) -> Error {
        if !self.0.is_empty() {
            error.redact(&|t| self.redact(t));
        }
        error
    }
}

/// Where the failure happened, for the message.
pub(crate) struct Attempt<'a> {
    pub call: &'a Call,
    pub attempt: u32,
    pub origin: &'a Origin,
    /// The proxy (`host:port`) the request went through, if any.
    pub via: Option<&'a str>,
    pub progress: Progress,
    /// The whole-request timeout and the connect timeout of this attempt.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// The answer's head had come (the failure was in its body).
    pub answered: bool,
}

/// Classifies a ureq error by what the server may have seen.
pub(crate) fn classify(a: &Attempt<'_>, e: ureq::Error) -> Failure {
    let (method, path) = (a.call.method.to_string(), a.call.path.clone());
    let hostport = a.origin.describe();
    if let ureq::Error::BodyExceedsLimit(limit) = e {
        return Failure::final_answer(Error::ResponseTooLarge {
            method,
            path,
            limit,
            attempt: a.attempt,
        });
    }
    if let ureq::Error::Timeout(_) = e {
        let connecting = !a.progress.wrote && !a.answered;
        let error = Error::Timeout {
            method,
            path,
            timeout_secs: if connecting {
                a.connect_timeout.min(a.timeout)
            } else {
                a.timeout
            }
            .as_secs_f64(),
            attempt: a.attempt,
            sent: if connecting {
                Sent::No
            } else if a.answered {
                Sent::Yes
            } else {
                Sent::Unknown
            },
        };
        return match (connecting, a.answered) {
            (true, _) => not_sent(error, Resend::Briefly),
            // The server answered and then sent its body too slowly: it will again.
            (false, true) => Failure::final_answer(error),
            (false, false) => lost(error),
        };
    }
    let detail = describe(&e);
    let cause: Option<Cause> = Some(match e {
        ureq::Error::Io(io) => Cause::new(io),
        other => Cause::new(other),
    });
    let transport = |message: String, sent: Sent| Error::Transport {
        method: method.clone(),
        path: path.clone(),
        message,
        attempt: a.attempt,
        sent,
        source: cause.clone(),
    };
    if a.answered {
        return Failure::lost_answer(transport(
            format!("the answer from {hostport} was cut short: {detail}"),
            Sent::Yes,
        ));
    }
    if a.progress.wrote {
        let what = if a.call.start_marker.is_some() {
            "the server may have acted on it (a run may have started)"
        } else {
            "the server may have acted on it"
        };
        return lost(transport(
            format!(
                "the request was sent to {hostport} but no answer came back ({detail}); {what}"
            ),
            Sent::Unknown,
        ));
    }
    // Nothing was written: whatever happened, the server saw no request.
    let nothing = if a.call.start_marker.is_some() {
        "nothing was sent, so no run was started"
    } else {
        "nothing was sent (the server saw no request)"
    };
    let io_kind = cause
        .as_ref()
        .and_then(|c| c.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    let (message, resend) = match (&io_kind, a.progress.connected) {
        _ if detail.starts_with("host not found") => (
            format!(
                "{nothing}: the host name '{}' could not be resolved (DNS); check the base URL",
                a.origin.host
            ),
            Resend::Never,
        ),
        (Some(std::io::ErrorKind::ConnectionRefused), _) => (
            match a.via {
                Some(proxy) => format!("{nothing}: the connection to the proxy {proxy} (for {hostport}) was refused; is the proxy running at that address?"),
                None => format!("{nothing}: the connection to {hostport} was refused; is the server running at that address?"),
            },
            Resend::Briefly,
        ),
        _ if detail.starts_with("proxy") => (
            format!("{nothing}: the proxy failed to connect to {hostport}: {detail}"),
            Resend::Briefly,
        ),
        (_, true) if a.origin.scheme == "https" => (
            format!("{nothing}: the TLS handshake with {hostport} failed ({detail}); check that the server speaks HTTPS at that address and that its certificate is trusted"),
            Resend::Never,
        ),
        _ if detail.starts_with("tls") || detail.starts_with("rustls") || detail.starts_with("pem") => (
            format!("{nothing}: TLS setup for {hostport} failed ({detail})"),
            Resend::Never,
        ),
        _ => (
            format!("{nothing}: connecting to {hostport} failed ({detail})"),
            Resend::Briefly,
        ),
    };
    not_sent(transport(message, Sent::No), resend)
}

fn not_sent(error: Error, resend: Resend) -> Failure {
    Failure {
        error,
        sent: Sent::No,
        not_processed: true,
        lost: false,
        resend,
    }
}

fn lost(error: Error) -> Failure {
    Failure {
        error,
        sent: Sent::Unknown,
        not_processed: false,
        lost: true,
        resend: Resend::Backoff,
    }
}

/// A ureq error in words, with a stable prefix per kind (`host not found`, `proxy`, `tls`).
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectProxyFailed(m) => format!("proxy: {m}"),
        ureq::Error::Tls(m) => format!("tls: {m}"),
        ureq::Error::Rustls(r) => format!("rustls: {r}"),
        ureq::Error::Pem(p) => format!("pem: {p}"),
        ureq::Error::Io(io) => match io.get_ref() {
            Some(inner) => format!("{} ({inner})", io.kind()),
            None => io.to_string(),
        },
        other => other.to_string(),
    }
}

/// The API error of an error status answer; `has_token` tells a 401 without a token apart.
pub(crate) fn api_error(
    call: &Call,
    status: u16,
    raw: &[u8],
    attempt: u32,
    has_token: bool,
) -> ApiError {
    let parsed: Option<Value> = serde_json::from_slice(raw).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let kind = error
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut message = match error.and_then(|e| e.get("message")).and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None => {
            let text = String::from_utf8_lossy(raw);
            let text: String = text.chars().take(300).collect();
            if text.trim().is_empty() {
                "(no error body)".to_string()
            } else {
                text
            }
        }
    };
    if status == 401 && !has_token {
        message = format!(
            "no API token was given (set APIFY_TOKEN or the token option); the server said: {message}"
        );
    }
    ApiError {
        status,
        kind,
        message,
        data: error.and_then(|e| e.get("data")).cloned(),
        method: call.method.to_string(),
        path: call.path.clone(),
        attempt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_every_form() {
        let uri: ureq::http::Uri = "https://user:p%40ss@h.example:8443".parse().unwrap();
        let s = Secrets::new(Some("tok/en"), &uri);
        assert_eq!(s.redact("a tok/en b tok%2Fen"), "a *** b ***");
        assert_eq!(s.redact("x user:p%40ss@h y p%40ss"), "x ***@h y ***");
    }

    #[test]
    fn origins_have_default_ports() {
        let o = Origin::of(&"https://API.example.com/v2".parse().unwrap()).unwrap();
        assert_eq!(o.describe(), "api.example.com:443 (https)");
        let o = Origin::of(&"http://127.0.0.1:9/".parse().unwrap()).unwrap();
        assert_eq!(o.describe(), "127.0.0.1:9 (http)");
    }

    #[test]
    fn a_401_without_a_token_says_so() {
        let call = Call::new("GET", "/v2/users/me");
        let body = br#"{"error":{"type":"token-not-provided","message":"Authentication token was not provided"}}"#;
        let e = api_error(&call, 401, body, 1, false);
        assert!(e
            .message
            .starts_with("no API token was given (set APIFY_TOKEN or the token option)"));
        let e = api_error(&call, 401, body, 1, true);
        assert_eq!(e.message, "Authentication token was not provided");
    }
}
