//! The ureq agent: how connections are made, and how far an attempt got before it failed.
//!
//! ureq runs a request on the calling thread, so two thread-local flags tell how far the current
//! attempt got: `CONNECTED` (a TCP connection, through any proxy, was made: a TLS failure comes
//! after it) and `WROTE` (bytes of the request were handed to the connection: from then on the
//! server may have seen it). Connectors in the chain set them; the transport resets them before
//! each attempt and reads them after a failure. That is what tells "nothing was sent" from "sent,
//! the answer was lost" without guessing from error texts.

use std::cell::Cell;
use std::time::Duration;

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, NextTimeout, RustlsConnector,
    TcpConnector, Transport,
};

use crate::error::{Error, Result};

thread_local! {
    static CONNECTED: Cell<bool> = const { Cell::new(false) };
    static WROTE: Cell<bool> = const { Cell::new(false) };
}

/// How far one attempt got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// A new TCP connection was made (a reused one does not set it).
    pub connected: bool,
    /// Request bytes were written: the server may have seen the request.
    pub wrote: bool,
}

/// Clears the flags before an attempt.
pub(crate) fn reset_progress() {
    CONNECTED.with(|c| c.set(false));
    WROTE.with(|w| w.set(false));
}

/// The flags after an attempt.
pub(crate) fn progress() -> Progress {
    Progress {
        connected: CONNECTED.with(Cell::get),
        wrote: WROTE.with(Cell::get),
    }
}

/// Marks a connection made (placed after TCP and proxy, before TLS).
#[derive(Debug)]
struct MarkConnected;

impl<In: Transport> Connector<In> for MarkConnected {
    type Out = In;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<In>, ureq::Error> {
        if chained.is_some() {
            CONNECTED.with(|c| c.set(true));
        }
        Ok(chained)
    }
}

/// Wraps the finished connection (after TLS) so that writing the request is seen.
#[derive(Debug)]
struct WatchWrites;

impl<In: Transport> Connector<In> for WatchWrites {
    type Out = Watched<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Watched<In>>, ureq::Error> {
        Ok(chained.map(Watched))
    }
}

#[derive(Debug)]
struct Watched<T>(T);

impl<T: Transport> Transport for Watched<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: NextTimeout,
    ) -> std::result::Result<(), ureq::Error> {
        if amount > 0 {
            WROTE.with(|w| w.set(true));
        }
        self.0.transmit_output(amount, timeout)
    }

    fn maybe_await_input(
        &mut self,
        timeout: NextTimeout,
    ) -> std::result::Result<bool, ureq::Error> {
        self.0.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.0.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}

/// The system resolver, except that names under `.invalid` never resolve and are never sent to
/// a DNS server (RFC 6761 reserves them for exactly that).
#[derive(Debug, Default)]
struct Names(DefaultResolver);

impl Resolver for Names {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or("").trim_end_matches('.');
        let lower = host.to_ascii_lowercase();
        if lower == "invalid" || lower.ends_with(".invalid") {
            return Err(ureq::Error::HostNotFound);
        }
        self.0.resolve(uri, config, timeout)
    }
}

/// What the agent needs from the client's settings.
pub(crate) struct AgentSettings<'a> {
    pub user_agent: &'a str,
    /// `None`: from the environment; `Some(None)`: no proxy; `Some(Some(url))`: this one.
    pub proxy: &'a Option<Option<String>>,
    pub root_certs_pem: &'a [Vec<u8>],
}

/// The roots a client trusts: Mozilla's, compiled in (`webpki-root-certs`, the one bundle in
/// the build, so the same on any system, one without a CA store included), plus the client's
/// own PEM certificates (a private CA). The system's store is not read. ring is the crypto
/// provider, given here because ureq comes without its `rustls` feature (which would compile in
/// a second bundle, webpki-roots); ureq calls this setter "unversioned" as it follows rustls
/// 0.23: a ureq on another rustls would fail to compile here, not misbehave.
fn tls_config(extra_pem: &[Vec<u8>]) -> Result<ureq::tls::TlsConfig> {
    let mut roots: Vec<ureq::tls::Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    for pem in extra_pem {
        let cert = ureq::tls::Certificate::from_pem(pem).map_err(|e| {
            Error::InvalidArgument(format!("the root certificate is not valid PEM: {e}"))
        })?;
        roots.push(cert);
    }
    Ok(ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .build())
}

/// Builds the one agent of a client: no redirects (the transport decides), HTTP statuses as
/// answers, a pool shared by clones, and the connection chain that reports progress. Answers
/// the proxy it uses, if any.
pub(crate) fn build_agent(s: &AgentSettings<'_>) -> Result<(ureq::Agent, Option<ureq::Proxy>)> {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(s.user_agent)
        .max_idle_connections_per_host(16)
        .max_idle_age(Duration::from_secs(15));
    let proxy = match s.proxy {
        None => ureq::Proxy::try_from_env(),
        Some(None) => None,
        Some(Some(url)) => Some(ureq::Proxy::new(url).map_err(|_| {
            // The URL may hold credentials: it is not repeated.
            Error::InvalidArgument(
                "the proxy URL is not valid (expected http://host:port, https://..., socks5://...)"
                    .into(),
            )
        })?),
    };
    config = config.proxy(proxy.clone());
    config = config.tls_config(tls_config(s.root_certs_pem)?);
    // The order of ureq's default chain (HTTP CONNECT proxy, TCP, TLS), with the two marks.
    let chain =
        ().chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default())
            .chain(MarkConnected)
            .chain(RustlsConnector::default())
            .chain(WatchWrites);
    Ok((
        ureq::Agent::with_parts(config.build(), chain, Names::default()),
        proxy,
    ))
}
