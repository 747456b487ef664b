//! The emulator's transport, auth, errors, faults, journal, rate limit and command line, driven
//! over real HTTP on 127.0.0.1 with a plain client.
#![cfg(feature = "emulator")]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apify::emulator::EmulatorConfig;
use common::child::ChildGuard;
use common::Api;
use serde_json::json;

#[test]
fn users_me_answers_with_the_token() {
    let api = Api::start();
    let me = api.get("/v2/users/me").expect(200).data();
    assert_eq!(me["username"], "emulator");
    assert_eq!(me["id"].as_str().unwrap().len(), 17);
}

#[test]
fn auth_failures_use_the_api_error_types() {
    let api = Api::start();
    let anonymous = api.with_token(None);
    let r = anonymous.get("/v2/users/me").expect(401);
    assert_eq!(r.error_type(), "token-not-provided");
    let wrong = api.with_token(Some("not-the-token"));
    let r = wrong.get("/v2/datasets").expect(401);
    assert_eq!(r.error_type(), "invalid-token");
    // The token in the query string works too (the SDK never sends it that way).
    let r = anonymous.get(&format!("/v2/users/me?token={}", api.token));
    r.expect(200);
    let r = anonymous.get("/v2/users/me?token=nope").expect(401);
    assert_eq!(r.error_type(), "invalid-token");
    // Auth failures changed nothing and the server keeps serving.
    api.get("/v2/users/me").expect(200);
}

#[test]
fn configured_tokens_replace_the_default() {
    let api = Api::start_with(EmulatorConfig {
        tokens: vec!["first".into(), "second".into()],
        ..EmulatorConfig::default()
    });
    assert_eq!(api.token, "first");
    api.get("/v2/users/me").expect(200);
    api.with_token(Some("second"))
        .get("/v2/users/me")
        .expect(200);
    let r = api.with_token(Some("emulator-token")).get("/v2/users/me");
    assert_eq!(r.expect(401).error_type(), "invalid-token");
}

#[test]
fn unknown_paths_unimplemented_operations_and_wrong_methods() {
    let api = Api::start();
    let r = api.get("/v2/no-such-thing").expect(404);
    assert_eq!(r.error_type(), "page-not-found");
    let r = api.get("/elsewhere").expect(404);
    assert_eq!(r.error_type(), "page-not-found");
    // (Operations the emulator does not implement answer 501 naming them: tests/emulator_runs.rs.)
    // A known path with a method the API does not have.
    let r = api.request("PATCH", "/v2/datasets", &[], None).expect(405);
    assert_eq!(r.error_type(), "method-not-allowed");
}

#[test]
fn malformed_json_bodies_get_a_clear_error_and_lose_nothing() {
    let api = Api::start();
    let ds = api.post_empty("/v2/datasets?name=keep").expect(201).data();
    let id = ds["id"].as_str().unwrap().to_string();
    api.post_json(&format!("/v2/datasets/{id}/items"), &json!([{"a": 1}]))
        .expect(201);
    let r = api
        .request(
            "POST",
            &format!("/v2/datasets/{id}/items"),
            &[("Content-Type", "application/json")],
            Some(b"[{\"a\": 2},"),
        )
        .expect(400);
    assert_eq!(r.error_type(), "invalid-request");
    assert!(r.text().contains("not valid JSON"), "{}", r.text());
    let r = api
        .request(
            "POST",
            "/v2/actor-tasks",
            &[("Content-Type", "application/json")],
            Some(b"{nope"),
        )
        .expect(400);
    assert!(r.text().contains("not valid JSON"));
    let items = api
        .get(&format!("/v2/datasets/{id}/items"))
        .expect(200)
        .json();
    assert_eq!(items, json!([{"a": 1}]));
}

#[test]
fn oversized_bodies_answer_413_and_the_server_keeps_serving() {
    let api = Api::start();
    let id = api.post_empty("/v2/datasets").expect(201).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut big = b"[{\"x\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'y', 9_437_184));
    big.extend_from_slice(b"\"}]");
    let r = api
        .request(
            "POST",
            &format!("/v2/datasets/{id}/items"),
            &[("Content-Type", "application/json")],
            Some(&big),
        )
        .expect(413);
    assert_eq!(r.error_type(), "request-too-large");
    api.get("/v2/users/me").expect(200);
    let ds = api.get(&format!("/v2/datasets/{id}")).expect(200).data();
    assert_eq!(ds["itemCount"], 0);
}

#[test]
fn keep_alive_chunked_bodies_and_expect_continue() {
    let api = Api::start();
    let id = api.post_empty("/v2/key-value-stores").expect(201).data()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let auth = format!("Authorization: Bearer {}\r\n", api.token);
    // Two requests on one connection, the first with a chunked body and Expect: 100-continue.
    let raw = format!(
        "PUT /v2/key-value-stores/{id}/records/chunky HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: text/plain\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET /v2/key-value-stores/{id}/records/chunky HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
    );
    let out = String::from_utf8(api.raw(raw.as_bytes(), Duration::from_secs(10))).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201"),
        "{out}"
    );
    assert!(out.ends_with("hello world"), "{out}");
    assert_eq!(out.matches("HTTP/1.1 2").count(), 2, "{out}");
}

#[test]
fn malformed_http_gets_400_and_a_closed_connection() {
    let api = Api::start();
    let out = api.raw(b"NONSENSE\r\n\r\n", Duration::from_secs(5));
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("invalid-request"));
    api.get("/v2/users/me").expect(200);
}

#[test]
fn status_faults_answer_the_status_then_expire() {
    let api = Api::start();
    api.fault(
        "GET",
        "/v2/users/me",
        2,
        json!({"kind": "status", "status": 503}),
    );
    let listed = api.get("/_emulator/faults").expect(200).data();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["times"], 2);
    let r = api.get("/v2/users/me").expect(503);
    assert_eq!(r.error_type(), "internal-server-error");
    api.get("/v2/users/me").expect(503);
    api.get("/v2/users/me").expect(200);
    assert!(api
        .get("/_emulator/faults")
        .expect(200)
        .data()
        .as_array()
        .unwrap()
        .is_empty());
    // 429 uses the rate-limit type; other methods are not matched.
    api.fault(
        "POST",
        "/v2/datasets",
        1,
        json!({"kind": "status", "status": 429}),
    );
    api.get("/v2/datasets").expect(200);
    let r = api.post_empty("/v2/datasets").expect(429);
    assert_eq!(r.error_type(), "rate-limit-exceeded");
    // A status fault does nothing: no dataset was created by the faulted request.
    let all = api.get("/v2/datasets?unnamed=1");
    assert_eq!(all.status, 200);
}

#[test]
fn fault_globs_match_one_segment_per_star() {
    let api = Api::start();
    api.fault(
        "*",
        "/v2/datasets/*",
        5,
        json!({"kind": "status", "status": 500}),
    );
    api.get("/v2/datasets").expect(200);
    api.get("/v2/datasets/abc").expect(500);
    api.get("/v2/datasets/abc/items").expect(404);
    api.delete("/_emulator/faults").expect(204);
    api.get("/v2/datasets/abc").expect(404);
}

#[test]
fn reset_closes_the_connection_before_doing_anything() {
    let api = Api::start();
    api.fault("POST", "/v2/datasets", 1, json!({"kind": "reset"}));
    let raw = format!(
        "POST /v2/datasets?name=never HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 0\r\n\r\n",
        api.token
    );
    let out = api.raw(raw.as_bytes(), Duration::from_secs(5));
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    api.get("/v2/datasets/never").expect(404);
    let journal = api.journal("/v2/datasets");
    assert_eq!(journal[0]["fault"], "reset");
}

#[test]
fn lost_response_does_the_work_and_answers_nothing() {
    let api = Api::start();
    api.fault(
        "POST",
        "/v2/acts/*/runs",
        1,
        json!({"kind": "lostResponse"}),
    );
    let raw = format!(
        "POST /v2/acts/apify~hello-world/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
        api.token
    );
    let out = api.raw(raw.as_bytes(), Duration::from_secs(5));
    assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    // The run was really started.
    let runs = api.get("/v2/actor-runs").expect(200).data();
    assert_eq!(runs["total"], 1);
    let journal = api.journal("/v2/acts/**");
    assert_eq!(journal[0]["fault"], "lostResponse");
    assert_eq!(journal[0]["status"], 201);
}

#[test]
fn truncate_sends_the_head_and_half_the_body() {
    let api = Api::start();
    let full = api.get("/v2/users/me").expect(200);
    api.fault("GET", "/v2/users/me", 1, json!({"kind": "truncate"}));
    let raw = format!(
        "GET /v2/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        api.token
    );
    let out = api.raw(raw.as_bytes(), Duration::from_secs(5));
    let text = String::from_utf8_lossy(&out);
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    assert!(head.starts_with("HTTP/1.1 200"));
    assert!(head.contains(&format!("Content-Length: {}", full.body.len())));
    assert_eq!(body.len(), full.body.len() / 2);
    // A client sees the short body as an error, never as a complete answer.
    api.fault("GET", "/v2/users/me", 1, json!({"kind": "truncate"}));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let result = agent
        .get(format!("{}/v2/users/me", api.base))
        .header("Authorization", format!("Bearer {}", api.token))
        .call()
        .and_then(|mut r| r.body_mut().read_to_string());
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn delay_waits_before_answering() {
    let api = Api::start();
    api.fault(
        "GET",
        "/v2/users/me",
        1,
        json!({"kind": "delay", "ms": 300}),
    );
    let t = Instant::now();
    api.get("/v2/users/me").expect(200);
    // A lower bound only: the delay must have happened.
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(api.journal("/v2/users/me")[0]["fault"], "delay");
}

#[test]
fn invalid_faults_are_refused() {
    let api = Api::start();
    for (body, needle) in [
        (
            json!({"path": "/v2/x", "action": {"kind": "explode"}}),
            "action.kind",
        ),
        (json!({"action": {"kind": "reset"}}), "'path'"),
        (
            json!({"path": "/v2/x", "times": 0, "action": {"kind": "reset"}}),
            "'times'",
        ),
        (
            json!({"path": "/v2/x", "action": {"kind": "status", "status": 99}}),
            "action.status",
        ),
        (
            json!({"path": "/v2/x", "action": {"kind": "delay"}}),
            "action.ms",
        ),
    ] {
        let r = api.post_json("/_emulator/faults", &body).expect(400);
        assert!(r.text().contains(needle), "{needle}: {}", r.text());
    }
    assert!(api
        .get("/_emulator/faults")
        .expect(200)
        .data()
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn journal_lists_requests_with_the_token_masked() {
    let api = Api::start();
    api.post_json("/v2/datasets?name=journaled", &json!({}))
        .expect(201);
    api.with_token(None)
        .get(&format!("/v2/users/me?token={}&x=1", api.token))
        .expect(200);
    let journal = api.journal("");
    assert_eq!(journal.len(), 2, "{journal:?}");
    let first = &journal[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/v2/datasets");
    assert_eq!(first["query"], "name=journaled");
    assert_eq!(first["status"], 201);
    assert_eq!(first["bodySize"], 2);
    assert_eq!(first["headers"]["authorization"], "Bearer ***");
    assert_eq!(journal[1]["query"], "token=***&x=1");
    let text = serde_json::to_string(&journal).unwrap();
    assert!(
        !text.contains(&api.token),
        "the token leaked into the journal"
    );
    api.delete("/_emulator/requests").expect(204);
    assert!(api.journal("").is_empty());
}

#[test]
fn rate_limit_answers_429_per_resource() {
    let api = Api::start_with(EmulatorConfig {
        rate_limit: Some(5),
        ..EmulatorConfig::default()
    });
    // Requests in one second: the sixth on the same resource is refused. Retry the whole burst if a
    // second boundary fell inside it.
    for _ in 0..5 {
        let start_second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let statuses: Vec<u16> = (0..6).map(|_| api.get("/v2/users/me").status).collect();
        let other = api.get("/v2/datasets").status;
        let end_second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if start_second != end_second {
            std::thread::sleep(Duration::from_millis(1100));
            continue;
        }
        assert_eq!(statuses[..5], [200; 5]);
        assert_eq!(statuses[5], 429);
        assert_eq!(other, 200, "another resource has its own budget");
        return;
    }
    panic!("could not fit 7 requests into one second");
}

#[test]
fn command_line_prints_the_contract_and_stops_on_sigterm() {
    let mut child = ChildGuard::spawn(
        Command::new(env!("CARGO_BIN_EXE_apify-emulator"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--token",
                "cli-token",
                "--max-wait-secs",
                "5",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base_line = lines.next().unwrap().unwrap();
    let token_line = lines.next().unwrap().unwrap();
    let base = base_line
        .strip_prefix("APIFY_API_BASE_URL=http://127.0.0.1:")
        .map(|port| format!("http://127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("first line: {base_line}"));
    assert_eq!(token_line, "APIFY_TOKEN=cli-token");
    let api = Api::connect(&base, "cli-token");
    api.get("/v2/users/me").expect(200);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            panic!("the emulator did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn command_line_refuses_bad_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_apify-emulator"))
        .args(["--rate-limit", "zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rate-limit"));
    let out = Command::new(env!("CARGO_BIN_EXE_apify-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--sync-timeout-secs"));
}

#[test]
fn dropping_the_emulator_stops_the_server() {
    let api = Api::start();
    let addr = api.addr();
    api.get("/v2/users/me").expect(200);
    drop(api);
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(&addr).is_ok() {
        assert!(Instant::now() < deadline, "still listening on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn runs_record_the_start_user_agent_unless_told_not_to() {
    let api = Api::start();
    let ua = [("User-Agent", "tester/1.0 libapify-start/0123")];
    let start = |api: &Api| {
        api.request(
            "POST",
            "/v2/acts/apify~hello-world/runs",
            &ua,
            Some(b"{}".as_slice()),
        )
        .expect(201)
        .data()
    };
    let run = start(&api);
    assert_eq!(run["meta"]["userAgent"], "tester/1.0 libapify-start/0123");
    assert_eq!(run["meta"]["clientIp"], "127.0.0.1");
    let list = api
        .get("/v2/acts/apify~hello-world/runs")
        .expect(200)
        .data();
    assert_eq!(
        list["items"][0]["meta"]["userAgent"],
        run["meta"]["userAgent"]
    );
    assert_eq!(list["items"][0]["meta"]["clientIp"], "127.0.0.1");

    let settings = api.get("/_emulator/settings").expect(200).data();
    assert_eq!(settings["recordUserAgent"], true);
    let off = api
        .put_json("/_emulator/settings", &json!({"recordUserAgent": false}))
        .expect(200)
        .data();
    assert_eq!(off["recordUserAgent"], false);
    let run = start(&api);
    assert!(run["meta"]["userAgent"].is_null(), "{run}");
    assert_eq!(run["meta"]["origin"], "API");
    for bad in [
        json!({"recordUserAgent": "no"}),
        json!({"recordEverything": true}),
    ] {
        let r = api.put_json("/_emulator/settings", &bad).expect(400);
        assert!(r.text().contains("recordUserAgent"), "{}", r.text());
    }
}
