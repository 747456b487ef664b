//! Callbacks while waiting for a run: a versioned struct (libgit2's model), read only as far as
//! its `version` says, so that later versions may grow it.

use std::ffi::{c_char, c_int, c_uint, c_void, CString};
use std::ops::ControlFlow;

use super::errors::Failure;
use crate::Run;

/// The version of `apify_callbacks` this header describes.
pub const APIFY_CALLBACKS_VERSION: c_uint = 1;

/// Callbacks of the waiting calls (`apify_actor_call_with`, `apify_task_call_with`,
/// `apify_run_wait_with`, `apify_run_follow_log`). Initialise with `APIFY_CALLBACKS_INIT` and set
/// what you need; every callback may be NULL. They run on the calling thread, one at a time.
#[repr(C)]
pub struct apify_callbacks {
    /// `APIFY_CALLBACKS_VERSION` (0 is refused with INVALID_ARGUMENT).
    pub version: c_uint,
    /// Passed to every callback.
    pub userdata: *mut c_void,
    /// After every status answer while waiting, with the run object's JSON (valid during the
    /// call). Non-zero stops the wait with APIFY_STATUS_CANCELLED; the run goes on.
    pub progress:
        Option<unsafe extern "C" fn(run_json: *const c_char, userdata: *mut c_void) -> c_int>,
    /// The run's log text as it is written, in order, each byte once (`len` bytes, also
    /// NUL-terminated; valid during the call). Non-zero stops following the log (a wait goes on).
    pub log: Option<
        unsafe extern "C" fn(text: *const c_char, len: usize, userdata: *mut c_void) -> c_int,
    >,
}

/// The callbacks a call was given, read according to their version.
pub(super) struct Callbacks {
    userdata: *mut c_void,
    progress: Option<unsafe extern "C" fn(*const c_char, *mut c_void) -> c_int>,
    log: Option<unsafe extern "C" fn(*const c_char, usize, *mut c_void) -> c_int>,
}

impl Callbacks {
    /// Reads a callbacks struct (NULL: none).
    pub(super) unsafe fn read(p: *const apify_callbacks, name: &str) -> Result<Callbacks, Failure> {
        let Some(cb) = p.as_ref() else {
            return Ok(Callbacks {
                userdata: std::ptr::null_mut(),
                progress: None,
                log: None,
            });
        };
        if cb.version == 0 {
            return Err(Failure::invalid(format!(
                "argument '{name}': version 0 is not a version of apify_callbacks; set it to APIFY_CALLBACKS_VERSION ({APIFY_CALLBACKS_VERSION}), e.g. with APIFY_CALLBACKS_INIT"
            )));
        }
        // Version 1 has exactly these fields; a later version only appends to them.
        Ok(Callbacks {
            userdata: cb.userdata,
            progress: cb.progress,
            log: cb.log,
        })
    }

    pub(super) fn has_log(&self) -> bool {
        self.log.is_some()
    }

    /// The progress callback as the Rust API's `on_poll`.
    pub(super) fn on_poll(&self) -> impl FnMut(&Run) -> ControlFlow<()> + '_ {
        move |run| {
            let Some(progress) = self.progress else {
                return ControlFlow::Continue(());
            };
            let text = serde_json::to_string(run)
                .ok()
                .and_then(|t| CString::new(t).ok())
                .unwrap_or_default();
            if unsafe { progress(text.as_ptr(), self.userdata) } != 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }

    /// The log callback as the Rust API's `on_text`.
    pub(super) fn on_log(&self) -> impl FnMut(&str) -> ControlFlow<()> + '_ {
        move |text| {
            let Some(log) = self.log else {
                return ControlFlow::Continue(());
            };
            // NUL-terminated for convenience; `len` counts the text only.
            let mut bytes = Vec::with_capacity(text.len() + 1);
            bytes.extend_from_slice(text.as_bytes());
            bytes.push(0);
            if unsafe { log(bytes.as_ptr().cast(), text.len(), self.userdata) } != 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
}
