//! What the flow examples share: where they run and their client.
//!
//! - neither `APIFY_TOKEN` nor `APIFY_API_BASE_URL` set: on the local emulator, started
//!   in-process (feature `emulator`), gone when the example ends;
//! - `APIFY_TOKEN` set, no `APIFY_API_BASE_URL`: on the Apify platform;
//! - `APIFY_API_BASE_URL` set (with `APIFY_TOKEN` if the server wants one): on that server.
#![allow(dead_code)]

use std::process::ExitCode;

use apify::Client;

pub type BoxError = Box<dyn std::error::Error>;

/// A client and, when the example runs on it, the in-process emulator it talks to.
pub struct Target {
    pub client: Client,
    /// Whether the server is the emulator (which has the `emulator/generator` Actor).
    pub emulator: bool,
    #[cfg(feature = "emulator")]
    _server: Option<apify::emulator::Emulator>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Chooses where to run (see the module doc) and says so on stdout.
pub fn connect() -> Result<Target, BoxError> {
    if env("APIFY_API_BASE_URL").is_some() || env("APIFY_TOKEN").is_some() {
        let client = Client::from_env()?;
        println!("running on {}", client.base_url());
        let emulator = client.actor("emulator/generator").get()?.is_some();
        return Ok(Target {
            client,
            emulator,
            #[cfg(feature = "emulator")]
            _server: None,
        });
    }
    #[cfg(feature = "emulator")]
    {
        let server = apify::emulator::Emulator::start(Default::default())?;
        let client = Client::builder()
            .base_url(server.base_url())
            .token(server.token())
            // Straight to loopback, whatever proxy the environment names.
            .proxy(None)
            .build()?;
        println!("running on the local emulator at {}", server.base_url());
        Ok(Target {
            client,
            emulator: true,
            _server: Some(server),
        })
    }
    #[cfg(not(feature = "emulator"))]
    {
        Err(
            "nothing to run on: set APIFY_TOKEN (the Apify platform) or APIFY_API_BASE_URL, \
             or build with --features emulator to run on the local emulator"
                .into(),
        )
    }
}

/// Runs an example's body: exit code 0, or 1 with the error on stderr.
pub fn run(body: fn(&Target) -> Result<(), BoxError>) -> ExitCode {
    let result = connect().and_then(|target| body(&target));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
