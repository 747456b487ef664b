//! Table-driven argument checks, without a server: for every fallible function of the C ABI
//! (the table is in `table_functions`), NULL for each required pointer argument, NULL accepted
//! for each optional one, invalid UTF-8 for each text argument, malformed or misshapen JSON for
//! each JSON argument, and bad callbacks structs; each failure names the argument and leaves
//! every out-parameter alone.

use super::helpers::*;
use super::table_functions::{functions, Func, Param, Shape, BYTES};

/// The `log` callback and the `write` function of the valid calls (never reached).
unsafe extern "C" fn go_on_log(_text: *const c_char, _len: usize, _userdata: *mut c_void) -> c_int {
    0
}

unsafe extern "C" fn go_on_write(_data: *const u8, _len: usize, _userdata: *mut c_void) -> c_int {
    0
}

type WriteFnPtr = unsafe extern "C" fn(*const u8, usize, *mut c_void) -> c_int;

/// A callbacks struct of `version` with a `log` callback or none.
fn callbacks(version: u32, log: bool) -> apify_callbacks {
    apify_callbacks {
        version,
        userdata: ptr::null_mut(),
        progress: None,
        log: log.then_some(go_on_log as unsafe extern "C" fn(_, _, _) -> _),
    }
}

impl Offline {
    /// Calls `f` with valid arguments except the parameters in `bad`, which get their
    /// replacements; checks that every out-parameter still holds the sentinel and answers the
    /// status.
    fn call(&self, f: &Func, bad: &[(usize, *const c_void)]) -> Result<apify_status, String> {
        let texts: Vec<Option<CString>> = f
            .params
            .iter()
            .map(|(_, p)| match p {
                Param::Text(v) | Param::OptText(v) | Param::Json(_, v) => Some(cs(v)),
                _ => None,
            })
            .collect();
        let valid_callbacks = callbacks(APIFY_CALLBACKS_VERSION, true);
        let mut slots: Vec<*mut c_void> = vec![sentinel(); f.params.len()];
        let slot_base = slots.as_mut_ptr();
        let mut args: Vec<*mut c_void> = f
            .params
            .iter()
            .enumerate()
            .map(|(i, (_, p))| match p {
                Param::Client => self.client.cast(),
                Param::Text(_) | Param::OptText(_) | Param::Json(..) => {
                    opt_ptr(&texts[i]).cast_mut().cast()
                }
                Param::OptJson(_) | Param::Userdata | Param::LogHandler => ptr::null_mut(),
                Param::Out => unsafe { slot_base.add(i) }.cast(),
                Param::DatasetIter => self.dataset_iter.cast(),
                Param::KeyIter => self.key_iter.cast(),
                Param::Bytes => BYTES.as_ptr().cast_mut().cast(),
                Param::OptCallbacks | Param::LogCallbacks => {
                    ptr::from_ref(&valid_callbacks).cast_mut().cast()
                }
                Param::WriteFn => go_on_write as WriteFnPtr as *mut c_void,
            })
            .collect();
        for &(i, replacement) in bad {
            args[i] = replacement.cast_mut();
        }
        let status = (f.call)(&args);
        for (i, (name, p)) in f.params.iter().enumerate() {
            let slot = unsafe { *slot_base.add(i) };
            if matches!(p, Param::Out) && slot != sentinel() {
                return Err(format!(
                    "out-parameter '{name}' was written ({slot:?}) by a call answering {}",
                    status_name(status)
                ));
            }
        }
        Ok(status)
    }
}

/// Bad values for a JSON argument of a shape, with the status and a text the message contains.
fn bad_json_values(name: &str, shape: Shape) -> Vec<(&'static str, apify_status, String)> {
    let quoted = format!("'{name}'");
    let mut v = vec![
        ("{\"unclosed\": ", APIFY_STATUS_INVALID_JSON, quoted.clone()),
        ("", APIFY_STATUS_INVALID_JSON, quoted.clone()),
        ("{} trailing", APIFY_STATUS_INVALID_JSON, quoted.clone()),
    ];
    let invalid = APIFY_STATUS_INVALID_ARGUMENT;
    match shape {
        Shape::Options => {
            for text in ["[]", "[{\"limit\": 1}]", "\"limit\"", "7"] {
                v.push((text, invalid, "must be a JSON object".into()));
            }
            v.push(("{\"noSuchOption\": 1}", invalid, "'noSuchOption'".into()));
            v.push(("{\"Token\": \"x\"}", invalid, "'Token'".into()));
        }
        Shape::Input => {
            for text in ["[]", "[1, 2]", "\"text\"", "true", "3"] {
                v.push((text, invalid, "must be a JSON object".into()));
            }
        }
        Shape::Query => {
            v.push(("[]", invalid, "query_json".into()));
            v.push(("\"a=b\"", invalid, "query_json".into()));
            v.push(("{\"nested\": {\"a\": 1}}", invalid, "'nested'".into()));
            v.push(("{\"list\": [1]}", invalid, "'list'".into()));
        }
        Shape::Any => {}
        Shape::Request => {
            for text in ["[]", "\"https://example.com/\"", "7", "null"] {
                v.push((text, invalid, "'request_json' must be a JSON object".into()));
            }
            v.push(("{}", invalid, "url".into()));
            v.push(("{\"url\": 7}", invalid, "'request_json'".into()));
            v.push(("{\"url\": \" \"}", invalid, "url must not be empty".into()));
        }
        Shape::Requests => {
            for text in ["{}", "\"https://example.com/\"", "null"] {
                v.push((text, invalid, "must be a JSON array".into()));
            }
            v.push(("[7]", invalid, "request 0".into()));
            v.push((
                "[{\"url\": \"a\"}, {\"uniqueKey\": \"k\"}]",
                invalid,
                "request 1".into(),
            ));
            v.push((
                "[{\"url\": \"a\", \"uniqueKey\": \"\"}]",
                invalid,
                "request 0".into(),
            ));
        }
        Shape::Items => {
            v.push(("[1]", invalid, "item 0".into()));
            v.push(("[{\"a\": 1}, []]", invalid, "item 1".into()));
            v.push(("\"text\"", invalid, "item 0".into()));
            v.push(("42", invalid, "item 0".into()));
        }
    }
    v
}

/// Runs every argument check of one function; answers how many ran and the problems found.
fn check_arguments(fx: &Offline, f: &Func) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut checks = 0;
    let mut run = |what: String, bad: &[(usize, *const c_void)], expected, needle: &str| {
        checks += 1;
        let outcome = fx
            .call(f, bad)
            .and_then(|st| check_failure(st, expected, needle).map(drop));
        if let Err(e) = outcome {
            problems.push(format!("{}({what}): {e}", f.name));
        }
    };
    // The parameter checked after all others: an out-parameter (checked after the arguments are
    // read) or the write callback (checked in the body). With it NULL as well, an optional
    // argument given NULL must be let through, so that the failure names that parameter.
    let last = f
        .params
        .iter()
        .position(|(_, p)| matches!(p, Param::Out | Param::WriteFn));
    let version_0 = callbacks(0, true);
    let without_log = callbacks(APIFY_CALLBACKS_VERSION, false);
    let null = ptr::null();
    for (i, &(name, param)) in f.params.iter().enumerate() {
        let shown = format!("'{name}'");
        if !param.optional() {
            let what = format!("{name} = NULL");
            run(what, &[(i, null)], APIFY_STATUS_NULL_ARGUMENT, &shown);
        } else if let Some(j) = last {
            let (last_name, bad) = (f.params[j].0, [(i, null), (j, null)]);
            let what = format!("{name} = NULL, {last_name} = NULL");
            run(
                what,
                &bad,
                APIFY_STATUS_NULL_ARGUMENT,
                &format!("'{last_name}'"),
            );
        }
        if param.is_text() {
            for bytes in [&b"ab\xffcd"[..], b"\xc3", b"{\"a\": \"\xed\xa0\x80\"}"] {
                let bad = CString::new(bytes).unwrap();
                let what = format!("{name} = {bytes:?}");
                run(
                    what,
                    &[(i, bad.as_ptr().cast())],
                    APIFY_STATUS_INVALID_UTF8,
                    &shown,
                );
            }
        }
        if let Param::Json(shape, _) | Param::OptJson(shape) = param {
            for (text, expected, needle) in bad_json_values(name, shape) {
                let bad = cs(text);
                run(
                    format!("{name} = {text}"),
                    &[(i, bad.as_ptr().cast())],
                    expected,
                    &needle,
                );
            }
        }
        if matches!(param, Param::OptCallbacks | Param::LogCallbacks) {
            let bad = [(i, ptr::from_ref(&version_0).cast())];
            let what = format!("{name} = {{version 0}}");
            run(what, &bad, APIFY_STATUS_INVALID_ARGUMENT, &shown);
        }
        if matches!(param, Param::LogCallbacks) {
            let bad = [(i, ptr::from_ref(&without_log).cast())];
            let what = format!("{name} = {{no log callback}}");
            run(what, &bad, APIFY_STATUS_INVALID_ARGUMENT, &shown);
        }
    }
    (checks, problems)
}

#[test]
fn every_function_checks_its_arguments() {
    let fx = Offline::new();
    let mut checks = 0;
    let mut problems = Vec::new();
    for f in functions() {
        let (n, mut p) = check_arguments(&fx, &f);
        checks += n;
        problems.append(&mut p);
    }
    println!("{checks} argument checks");
    assert!(
        problems.is_empty(),
        "{} of {checks} argument checks failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
