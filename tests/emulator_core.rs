//! The emulator's transport, auth, errors, faults, journal, rate limit and command line, driven
//! over real HTTP on 127.0.0.1 with a plain client.
#![cfg(feature = "emulator")]

mod common;

use common::Api;
use serde_json::json;

#[test]
fn users_me_answers_with_the_token() {
    let api = Api::start();
    let me = api.get("/v2/users/me").expect(200).data();
    assert_eq!(me["username"], "emulator");
}
