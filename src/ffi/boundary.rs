//! The one boundary every exported body goes through.
//!
//! A fallible function's body is a single `ffi!` invocation that names its arguments with their
//! kinds and the out-parameter it fills:
//!
//! ```ignore
//! ffi!((c: client, run_id: str) -> out_run_json => {
//!     to_json(&c.run(run_id).fetch()?)?
//! })
//! ```
//!
//! The macro catches panics (`APIFY_STATUS_PANIC`), converts each argument by its kind (a NULL,
//! non-UTF-8 or non-JSON argument becomes its status with a message naming the argument),
//! checks the out-parameter before any work, writes it only after the body succeeded, and sets
//! or clears the thread's last error. Functions that return no status (`_free`, accessors) use
//! `ffi_plain!`, which catches panics and answers a default instead.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::Value;

use super::callbacks::apify_callbacks;
use super::client_handle::apify_client;
use super::errors::{
    apify_status, APIFY_STATUS_INTERNAL, APIFY_STATUS_INVALID_JSON, APIFY_STATUS_INVALID_UTF8,
    APIFY_STATUS_OK, APIFY_STATUS_PANIC,
};
use super::errors::{clear_last_error, set_last_error, Failure};
use crate::Client;

/// Runs a fallible body inside the panic boundary and keeps the last error.
pub(super) fn guard(f: impl FnOnce() -> Result<(), Failure>) -> apify_status {
    let result = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Failure::new(
            APIFY_STATUS_PANIC,
            format!("internal panic caught at the C boundary: {what}"),
        ))
    });
    match result {
        Ok(()) => {
            clear_last_error();
            APIFY_STATUS_OK
        }
        Err(f) => {
            let status = f.status;
            set_last_error(f);
            status
        }
    }
}

/// Runs an infallible body inside the panic boundary; a panic answers `default`.
pub(super) fn plain<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// The body of a fallible exported function; see the module docs.
macro_rules! ffi {
    (($($arg:ident : $kind:ident),* $(,)?) $(-> $out:ident)? => $body:block) => {
        $crate::ffi::boundary::guard(|| {
            $( let $arg = $crate::ffi::boundary::arg::$kind($arg, stringify!($arg))?; )*
            $( let $out = $crate::ffi::boundary::Out::new($out, stringify!($out))?; )?
            #[allow(unused_unsafe, unused_variables, clippy::redundant_closure_call)]
            let value = (|| -> Result<_, $crate::ffi::errors::Failure> { Ok($body) })()?;
            $( $out.write(value)?; )?
            #[allow(unreachable_code)]
            Ok(())
        })
    };
}

/// The body of an exported function that returns no status: panics answer `$default`.
macro_rules! ffi_plain {
    ($default:expr => $body:block) => {
        #[allow(unused_unsafe)]
        $crate::ffi::boundary::plain($default, || $body)
    };
}

pub(super) use {ffi, ffi_plain};

/// Argument kinds: each converts a raw C argument, naming it in its error.
#[allow(clippy::missing_safety_doc)]
pub(super) mod arg {
    use super::*;

    /// A client handle that must not be NULL.
    pub unsafe fn client<'a>(p: *const apify_client, name: &str) -> Result<&'a Client, Failure> {
        p.as_ref()
            .map(|c| &c.client)
            .ok_or_else(|| Failure::null(name))
    }

    /// A client handle that must not be NULL, for bodies that need more than its client (the
    /// handle's request-queue key).
    pub unsafe fn handle<'a>(
        p: *const apify_client,
        name: &str,
    ) -> Result<&'a apify_client, Failure> {
        p.as_ref().ok_or_else(|| Failure::null(name))
    }

    /// A duration in seconds (a C double): finite, at least a millisecond, at most a year.
    pub unsafe fn secs(v: f64, name: &str) -> Result<std::time::Duration, Failure> {
        const MAX_SECS: f64 = 365.0 * 24.0 * 3600.0;
        if !(v.is_finite() && (0.001..=MAX_SECS).contains(&v)) {
            return Err(Failure::invalid(format!(
                "argument '{name}' must be a number of seconds from 0.001 to {MAX_SECS}, got {v}"
            )));
        }
        Ok(std::time::Duration::from_secs_f64(v))
    }

    /// A UTF-8 string that must not be NULL.
    pub unsafe fn str<'a>(p: *const c_char, name: &str) -> Result<&'a str, Failure> {
        if p.is_null() {
            return Err(Failure::null(name));
        }
        CStr::from_ptr(p).to_str().map_err(|e| {
            Failure::new(
                APIFY_STATUS_INVALID_UTF8,
                format!(
                    "argument '{name}' is not valid UTF-8 (at byte {})",
                    e.valid_up_to()
                ),
            )
        })
    }

    /// A UTF-8 string that may be NULL.
    pub unsafe fn opt_str<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
        if p.is_null() {
            Ok(None)
        } else {
            str(p, name).map(Some)
        }
    }

    /// JSON text that must not be NULL.
    pub unsafe fn json(p: *const c_char, name: &str) -> Result<Value, Failure> {
        parse_json(str(p, name)?, name)
    }

    /// JSON text that may be NULL (`None`).
    pub unsafe fn opt_json(p: *const c_char, name: &str) -> Result<Option<Value>, Failure> {
        opt_str(p, name)?.map(|t| parse_json(t, name)).transpose()
    }

    /// A run's input: JSON text, NULL for none.
    pub unsafe fn input(p: *const c_char, name: &str) -> Result<Value, Failure> {
        Ok(opt_json(p, name)?.unwrap_or(Value::Null))
    }

    /// A callbacks struct that may be NULL (see `callbacks.rs`).
    pub unsafe fn callbacks(
        p: *const apify_callbacks,
        name: &str,
    ) -> Result<super::super::callbacks::Callbacks, Failure> {
        super::super::callbacks::Callbacks::read(p, name)
    }

    /// A callbacks struct that must not be NULL.
    pub unsafe fn req_callbacks(
        p: *const apify_callbacks,
        name: &str,
    ) -> Result<super::super::callbacks::Callbacks, Failure> {
        if p.is_null() {
            return Err(Failure::null(name));
        }
        callbacks(p, name)
    }

    /// An iterator handle that must not be NULL.
    pub unsafe fn iter<'a, T>(p: *mut T, name: &str) -> Result<&'a mut T, Failure> {
        p.as_mut().ok_or_else(|| Failure::null(name))
    }

    /// A function pointer that must not be NULL.
    pub unsafe fn func<F>(f: Option<F>, name: &str) -> Result<F, Failure> {
        f.ok_or_else(|| Failure::null(name))
    }

    /// An out-parameter that must not be NULL, for functions with more than one; the body
    /// writes it (with `Out::write`) after everything that can fail.
    pub unsafe fn out<T>(p: *mut T, name: &str) -> Result<super::Out<T>, Failure> {
        super::Out::new(p, name)
    }

    /// A C integer, passed through.
    pub unsafe fn int<T>(v: T, _name: &str) -> Result<T, Failure> {
        Ok(v)
    }

    fn parse_json(text: &str, name: &str) -> Result<Value, Failure> {
        serde_json::from_str(text).map_err(|e| {
            Failure::new(
                APIFY_STATUS_INVALID_JSON,
                format!("argument '{name}' is not valid JSON: {e}"),
            )
        })
    }
}

/// `len` bytes at `data`; NULL is allowed only when `len` is 0.
pub(super) unsafe fn bytes<'a>(
    data: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        Ok(&[])
    } else if data.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(std::slice::from_raw_parts(data, len))
    }
}

/// An out-parameter, checked before the work and written only after it succeeded.
pub(super) struct Out<T> {
    ptr: *mut T,
}

impl<T> Out<T> {
    pub(super) fn new(ptr: *mut T, name: &str) -> Result<Out<T>, Failure> {
        if ptr.is_null() {
            Err(Failure::null(name))
        } else {
            Ok(Out { ptr })
        }
    }

    /// Converts the body's value for C (which may still fail) and then writes it.
    pub(super) unsafe fn write<V: IntoC<T>>(self, value: V) -> Result<(), Failure> {
        let c = value.into_c()?;
        *self.ptr = c;
        Ok(())
    }
}

/// A value the body hands to an out-parameter of type `T`.
pub(super) trait IntoC<T> {
    fn into_c(self) -> Result<T, Failure>;
}

impl IntoC<*mut c_char> for String {
    fn into_c(self) -> Result<*mut c_char, Failure> {
        CString::new(self).map(CString::into_raw).map_err(|_| {
            Failure::new(
                APIFY_STATUS_INTERNAL,
                "the result contains a NUL byte and cannot be a C string",
            )
        })
    }
}

/// `None` writes NULL (an iterator's end).
impl IntoC<*mut c_char> for Option<String> {
    fn into_c(self) -> Result<*mut c_char, Failure> {
        self.map_or(Ok(std::ptr::null_mut()), String::into_c)
    }
}

impl<T> IntoC<*mut T> for Box<T> {
    fn into_c(self) -> Result<*mut T, Failure> {
        Ok(Box::into_raw(self))
    }
}

impl IntoC<*const c_char> for *const c_char {
    fn into_c(self) -> Result<*const c_char, Failure> {
        Ok(self)
    }
}

impl IntoC<usize> for usize {
    fn into_c(self) -> Result<usize, Failure> {
        Ok(self)
    }
}

impl IntoC<std::ffi::c_int> for bool {
    fn into_c(self) -> Result<std::ffi::c_int, Failure> {
        Ok(self.into())
    }
}

/// An iterator's next element as text (`None` at the end). After a failure the iterator keeps
/// answering that failure, so that it is never mistaken for the end.
pub(super) fn next_of<T, R>(
    it: &mut dyn Iterator<Item = crate::Result<T>>,
    failed: &mut Option<Failure>,
    text: impl FnOnce(T) -> R,
) -> Result<Option<R>, Failure> {
    if let Some(f) = failed {
        return Err(Failure {
            message: format!("the iterator stopped at an earlier error: {}", f.message),
            ..f.clone()
        });
    }
    match it.next() {
        None => Ok(None),
        Some(Ok(item)) => Ok(Some(text(item))),
        Some(Err(e)) => {
            let f = Failure::from(e);
            *failed = Some(f.clone());
            Err(f)
        }
    }
}

/// Drops a handle made by `Box::into_raw`; NULL is a no-op.
pub(super) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        drop(Box::from_raw(p));
    }
}
