//! A build's life after its creation: READY, then RUNNING with a growing log, then SUCCEEDED
//! (its version's tag moves to it) or FAILED (the source files could not be built), spread over
//! the emulator's build duration (`/_emulator/settings` `buildDurationMillis`). An abort ends it
//! early; a deleted build or a stopping emulator ends the worker.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::http::sleep_unless_stopped;
use super::registry::BuildStatus;
use super::state::{Shared, State};
use super::util::now_millis;

/// Runs the build `build_id` to its end: in a thread of its own, or at once when `duration` is
/// zero (the answer to its creation then shows it finished).
pub(crate) fn start(shared: &Arc<Shared>, build_id: &str, duration: Duration) {
    if duration.is_zero() {
        let mut st = shared.lock();
        for step in 0..3 {
            apply_step(&mut st, build_id, step);
        }
        drop(st);
        shared.notify();
        return;
    }
    let shared = shared.clone();
    let build_id = build_id.to_string();
    let begin = Instant::now();
    thread::spawn(move || {
        for step in 0..3u32 {
            let at = begin + duration * (step + 1) / 3;
            sleep_unless_stopped(at.saturating_duration_since(Instant::now()), &shared.stop);
            if shared.stop.load(Ordering::SeqCst) {
                return;
            }
            let go_on = apply_step(&mut shared.lock(), &build_id, step);
            shared.notify();
            if !go_on {
                return;
            }
        }
    });
}

/// One step of a build: 0 starts it, 1 builds, 2 finishes. `false` once there is nothing left
/// to do (the build is gone, aborted or finished).
fn apply_step(st: &mut State, build_id: &str, step: u32) -> bool {
    let Some(b) = st.builds.iter_mut().find(|b| b.id == build_id) else {
        return false;
    };
    if b.status.is_terminal() {
        return false;
    }
    match step {
        0 => {
            b.status = BuildStatus::Running;
            b.log_line("ACTOR: Build started.");
            let files = b.source_files.len();
            b.log_line(&format!(
                "ACTOR: Extracting {files} source file(s) of version {}.",
                b.version_number
            ));
            true
        }
        1 => {
            b.log_line("ACTOR: Reading .actor/actor.json and the input schema.");
            if b.error.is_none() {
                let line = format!(
                    "ACTOR: Building the image (emulator program '{}').",
                    b.program.as_str()
                );
                b.log_line(&line);
            }
            true
        }
        _ => {
            finish(st, build_id);
            false
        }
    }
}

/// Ends a build as its source allows; a successful one takes its tag unless a newer successful
/// build of the Actor holds it already.
fn finish(st: &mut State, build_id: &str) {
    let Some(pos) = st.builds.iter().position(|b| b.id == build_id) else {
        return;
    };
    let b = &mut st.builds[pos];
    b.finished_at = Some(now_millis());
    match b.error.clone() {
        Some(reason) => {
            b.status = BuildStatus::Failed;
            b.log_line(&format!("ACTOR: Build failed: {reason}"));
            b.log_line("ACTOR: Build finished with status FAILED.");
            return;
        }
        None => {
            b.status = BuildStatus::Succeeded;
            b.log_line("ACTOR: Build finished with status SUCCEEDED.");
        }
    }
    let (act_id, tag, id) = (b.act_id.clone(), b.build_tag.clone(), b.id.clone());
    let holder = st
        .actors
        .iter()
        .find(|a| a.id == act_id)
        .and_then(|a| a.tagged_builds.get(&tag))
        .and_then(|held| st.builds.iter().position(|b| &b.id == held));
    if holder.is_some_and(|h| h > pos) {
        return;
    }
    if let Some(a) = st.actors.iter_mut().find(|a| a.id == act_id) {
        a.tagged_builds.insert(tag, id);
    }
}

/// Aborts a build that has not finished; `false` when it had (the platform then leaves it as
/// it is).
pub(crate) fn abort(st: &mut State, build_id: &str) -> bool {
    let Some(b) = st.builds.iter_mut().find(|b| b.id == build_id) else {
        return false;
    };
    if b.status.is_terminal() {
        return false;
    }
    b.status = BuildStatus::Aborted;
    b.finished_at = Some(now_millis());
    b.log_line("ACTOR: Build aborted.");
    true
}
