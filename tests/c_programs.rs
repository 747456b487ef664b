//! The C ABI from C: builds every C/C++ example (`examples-c/`) and every C test program
//! (`tests/c/test_*.c`) with the system compiler (`cc`, `c++`) and the strict flags, links each
//! against the `libapify.so` and `libapify.a` that `scripts/install.sh` built and installed for
//! this test run (`tests/common/artifacts.rs`), and runs it against a fresh in-process emulator, checking its exit status and its output. Then the same programs
//! are built with `-fsanitize=address,undefined` (linked to the normal, unsanitized
//! `libapify.so`) and run with leak detection on (ASAN_OPTIONS=detect_leaks=1, UBSan
//! halt_on_error=1), and, where `valgrind` is on PATH, the dynamic builds run under
//! `valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite` (Rust's
//! std may leave "still reachable" or "possibly lost" thread-local blocks; definite leaks fail).
//! A clean run writes nothing to stderr.
//!
//! `tests/c/leak_sanity.c` leaks on purpose: it passes when run plainly and must FAIL under each
//! leak checker, which proves the checkers' settings catch a real leak (of the program's memory
//! and of a string the library returned and nobody freed).
//!
//! Build outputs go to `<target>/<profile>/c-tests/`, never into the source tree. The children
//! talk only to their emulator on 127.0.0.1: proxy variables are removed from their environment.
//! No sanitizer or valgrind suppressions are used: none is needed. libapify's Rust code,
//! unsanitized in the library, allocates through the C allocator that ASan and valgrind
//! intercept, and it leaves no definite leak behind.
#![cfg(all(feature = "emulator", feature = "capi", target_os = "linux"))]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use apify::emulator::{Emulator, EmulatorConfig};
use artifacts::{shared_library, static_library};
use child::ChildGuard;

#[path = "common/artifacts.rs"]
mod artifacts;
#[path = "common/child.rs"]
mod child;

const C_FLAGS: &[&str] = &["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"];
const CXX_FLAGS: &[&str] = &["-std=c++11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"];
const SANITIZE_FLAGS: &[&str] = &["-fsanitize=address,undefined", "-fno-omit-frame-pointer"];
/// What a static `libapify.a` needs from the system (Rust's std).
const STATIC_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];
const VALGRIND: &[&str] = &[
    "valgrind",
    "-q",
    "--error-exitcode=1",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite",
    "--show-leak-kinds=definite",
];
/// The emulator's run-sync limit for the children; test_api_errors reads it from
/// `APIFY_TEST_SYNC_TIMEOUT_SECS` and checks SYNC_TIMEOUT with it.
const SYNC_TIMEOUT_SECS: u64 = 3;
const PROXY_VARS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// An example: exit 0 and the expected lines in its output.
    Example,
    /// A C test program: exit 0 and a last line "N passed, 0 failed" with N > 0.
    Test,
    /// The deliberate leak: exit 0 plainly, a leak report and a failure under a leak checker.
    LeakSanity,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Link {
    Dynamic,
    Static,
}

impl Link {
    fn name(self) -> &'static str {
        match self {
            Link::Dynamic => "dynamic",
            Link::Static => "static",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Plain,
    Sanitized,
    Valgrind,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Plain => "plain",
            Phase::Sanitized => "sanitized",
            Phase::Valgrind => "valgrind",
        }
    }
}

#[derive(Clone, Debug)]
struct Program {
    name: String,
    /// Relative to the crate root.
    source: String,
    kind: Kind,
    /// Arguments; `{out}` becomes a path prefix in the build directory for this build.
    args: &'static [&'static str],
    /// Text the standard output must contain.
    expect: &'static [&'static str],
    /// A file `{out}<suffix>` the program writes, with this many lines.
    writes: Option<(&'static str, usize)>,
}

impl Program {
    fn cxx(&self) -> bool {
        self.source.ends_with(".cpp")
    }
}

fn example(
    name: &str,
    args: &'static [&'static str],
    expect: &'static [&'static str],
    writes: Option<(&'static str, usize)>,
) -> Program {
    let ext = if name.starts_with("cpp") { "cpp" } else { "c" };
    Program {
        name: name.to_string(),
        source: format!("examples-c/{name}.{ext}"),
        kind: Kind::Example,
        args,
        expect,
        writes,
    }
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every program: the examples with what they must print, every `tests/c/test_*.c`, and the
/// deliberate leak.
fn programs() -> Vec<Program> {
    let mut all = vec![
        example(
            "quickstart",
            &[],
            &[
                "OUTPUT (application/json; charset=utf-8, 27 bytes): {\"message\":\"Hello from C!\"}",
                "items: [{\"message\":\"Hello from C!\"}]",
            ],
            None,
        ),
        example(
            "async_run",
            &[],
            &[
                "started run ",
                "  status: ",
                "SUCCEEDED\n",
                "  item 0: {\"index\":0,\"text\":\"\"}",
                ": 50 items\n",
                "OUTPUT (application/json; charset=utf-8): {\"count\":50}",
            ],
            None,
        ),
        example(
            "dataset_export",
            &["20000", "{out}.jsonl"],
            &["exported 20000 items", "indexes 0..19999 consecutive"],
            Some((".jsonl", 20000)),
        ),
        example(
            "kvs",
            &[],
            &[
                "read   greeting     23 bytes  text/plain; charset=utf-8: same bytes",
                "read   config       33 bytes  application/json: same bytes",
                "read   blob        256 bytes  application/octet-stream: same bytes",
                "page 1: blob config greeting\npage 2: item-0 item-1 item-2\npage 3: item-3 item-4\n",
                "8 keys in 3 pages",
                "iterator: blob config greeting item-0 item-1 item-2 item-3 item-4\n",
                "deleted greeting: reading it answers NOT_FOUND",
                "greeting exists: 0\n",
                "deleted store ",
            ],
            None,
        ),
        example(
            "run_and_export",
            &["{out}.csv"],
            &[
                ": SUCCEEDED\n",
                "emulator/generator: log line 0\n",
                "emulator/generator: dataset holds 20 items; done.\n",
                "final run ",
                ": status SUCCEEDED after 1 attempt(s), dataset ",
                "exported 20 items as CSV (",
            ],
            Some((".csv", 21)),
        ),
        example(
            "threads",
            &[],
            &["8 threads x 5 runs: 40 of 40 succeeded"],
            None,
        ),
        example(
            "cpp_example",
            &[],
            &[
                "OUTPUT (application/json; charset=utf-8): {\"message\":\"Hello from C++!\"}",
                "items: [{\"message\":\"Hello from C++!\"}]",
                "expected failure: apify_request failed: NOT_FOUND: ",
            ],
            None,
        ),
    ];
    // Every example source has its entry above, so none is skipped silently.
    for entry in fs::read_dir(crate_dir().join("examples-c")).expect("examples-c/ exists") {
        let path = entry.unwrap().path();
        if matches!(path.extension().and_then(|e| e.to_str()), Some("c" | "cpp")) {
            let rel = format!("examples-c/{}", path.file_name().unwrap().to_str().unwrap());
            assert!(
                all.iter().any(|p| p.source == rel),
                "{rel} has no entry in tests/c_programs.rs"
            );
        }
    }
    let mut tests: Vec<PathBuf> = fs::read_dir(crate_dir().join("tests/c"))
        .expect("tests/c/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("test_") && name.ends_with(".c")
        })
        .collect();
    tests.sort();
    assert!(tests.len() >= 5, "the C test programs are missing");
    for path in tests {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        all.push(Program {
            source: format!("tests/c/{name}.c"),
            name,
            kind: Kind::Test,
            args: &[],
            expect: &[],
            writes: None,
        });
    }
    all.push(Program {
        name: "leak_sanity".into(),
        source: "tests/c/leak_sanity.c".into(),
        kind: Kind::LeakSanity,
        args: &[],
        expect: &["leaked on purpose"],
        writes: None,
    });
    all
}

/// The libraries installed for this test run (see `tests/common/artifacts.rs`): the directory of
/// `libapify.so` (for `-L` and `LD_LIBRARY_PATH`) and the path of `libapify.a`.
#[derive(Clone, Debug)]
struct Libs {
    so_dir: PathBuf,
    archive: PathBuf,
}

fn libs() -> Libs {
    let so = shared_library();
    let archive = static_library();
    assert!(so.is_file(), "{} was not built", so.display());
    assert!(archive.is_file(), "{} was not built", archive.display());
    Libs {
        so_dir: so.parent().unwrap().to_path_buf(),
        archive,
    }
}

/// `<target>/<profile>/c-tests/<name>`, emptied.
fn out_dir(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().unwrap().parent().unwrap();
    let dir = profile.join("c-tests").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("the build directory can be created");
    dir
}

/// Runs `f` on every job on as many threads as there are cores (at least 2), keeping the order.
fn parallel<T: Send, R: Send>(jobs: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let workers = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2);
    let total = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate().rev().collect::<Vec<_>>());
    let results = Mutex::new(Vec::with_capacity(total));
    thread::scope(|s| {
        for _ in 0..workers.min(total) {
            s.spawn(|| loop {
                let Some((i, job)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let r = f(job);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// A program built one way.
#[derive(Clone, Debug)]
struct Build {
    program: Program,
    link: Link,
    exe: PathBuf,
}

/// Compiles and links one program; Err carries the compiler's command and output.
fn compile(
    program: &Program,
    link: Link,
    sanitize: bool,
    libs: &Libs,
    dir: &Path,
) -> Result<Build, String> {
    let root = crate_dir();
    let exe = dir.join(format!("{}-{}", program.name, link.name()));
    let mut cmd = Command::new(if program.cxx() { "c++" } else { "cc" });
    cmd.args(if program.cxx() { CXX_FLAGS } else { C_FLAGS });
    if sanitize {
        cmd.args(["-g", "-O1"]).args(SANITIZE_FLAGS);
    } else {
        cmd.args(["-g", "-O2"]);
    }
    cmd.arg("-I")
        .arg(&artifacts::installed().include_dir)
        .arg("-I")
        .arg(root.join("tests/c"))
        .arg(root.join(&program.source))
        .arg("-o")
        .arg(&exe);
    match link {
        Link::Dynamic => {
            cmd.arg(format!("-L{}", libs.so_dir.display()))
                .args(["-lapify", "-pthread"]);
        }
        Link::Static => {
            cmd.arg(&libs.archive).args(STATIC_LIBS);
        }
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run the compiler ({cmd:?}): {e}; a C compiler is needed"))?;
    if !out.status.success() {
        return Err(format!(
            "{} ({}) does not compile:\n$ {cmd:?}\n{}{}",
            program.source,
            link.name(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(Build {
        program: program.clone(),
        link,
        exe,
    })
}

/// What a child did.
struct Outcome {
    status: Option<ExitStatus>,
    timed_out: bool,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Outcome {
    fn describe(&self) -> String {
        let cut = |s: &str| {
            if s.len() > 6000 {
                let mut end = 6000;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}\n[... {} more bytes]", &s[..end], s.len() - end)
            } else {
                s.to_string()
            }
        };
        format!(
            "exit: {}{} after {:.1}s\n--- stdout\n{}\n--- stderr\n{}",
            self.status.map_or("none".to_string(), |s| format!("{s}")),
            if self.timed_out {
                " (TIMED OUT, killed)"
            } else {
                ""
            },
            self.elapsed.as_secs_f64(),
            cut(&self.stdout),
            cut(&self.stderr)
        )
    }
}

/// Runs a build against a fresh emulator (env APIFY_API_BASE_URL / APIFY_TOKEN), wrapped in
/// `wrapper` (valgrind) if given, killing it after `timeout`.
fn run(build: &Build, phase: Phase, wrapper: &[&str], libs: &Libs, timeout: Duration) -> Outcome {
    let emulator = Emulator::start(EmulatorConfig {
        sync_timeout: Duration::from_secs(SYNC_TIMEOUT_SECS),
        ..EmulatorConfig::default()
    })
    .expect("the emulator starts");
    let out_prefix = build.exe.to_str().unwrap().to_string();
    let args: Vec<String> = build
        .program
        .args
        .iter()
        .map(|a| a.replace("{out}", &out_prefix))
        .collect();
    let mut cmd = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&build.exe);
            c
        }
        None => Command::new(&build.exe),
    };
    cmd.args(&args)
        .env("APIFY_API_BASE_URL", emulator.base_url())
        .env("APIFY_TOKEN", emulator.token())
        .env(
            "APIFY_TEST_SYNC_TIMEOUT_SECS",
            SYNC_TIMEOUT_SECS.to_string(),
        )
        .stdin(Stdio::null());
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    // A clean run writes nothing to stderr: the library's log must not go there.
    cmd.env_remove("APIFY_LOG");
    // Programs that check how soon something fails allow for a checker's slowdown.
    let slowdown = match phase {
        Phase::Plain => 1,
        Phase::Sanitized => 2,
        Phase::Valgrind => 10,
    };
    cmd.env("APIFY_TEST_SLOWDOWN", slowdown.to_string());
    if build.link == Link::Dynamic {
        let mut path = libs.so_dir.as_os_str().to_owned();
        if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|v| !v.is_empty()) {
            path.push(":");
            path.push(old);
        }
        cmd.env("LD_LIBRARY_PATH", path);
    }
    if phase == Phase::Sanitized {
        cmd.env(
            "ASAN_OPTIONS",
            "detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1",
        )
        .env("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        .env("LSAN_OPTIONS", "report_objects=0");
    }
    // Output into files, so that a child that fills a pipe cannot block.
    let log = |stream: &str| PathBuf::from(format!("{out_prefix}.{}.{stream}", phase.name()));
    let stdout = fs::File::create(log("stdout")).unwrap();
    let stderr = fs::File::create(log("stderr")).unwrap();
    cmd.stdout(stdout).stderr(stderr);
    let start = Instant::now();
    let mut child = ChildGuard::spawn(&mut cmd);
    let mut timed_out = false;
    let status = loop {
        match child.try_wait().expect("waiting for the child") {
            Some(status) => break Some(status),
            None if start.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            None => thread::sleep(Duration::from_millis(20)),
        }
    };
    let elapsed = start.elapsed();
    drop(emulator);
    let read = |p: PathBuf| {
        let mut s = Vec::new();
        fs::File::open(p).unwrap().read_to_end(&mut s).unwrap();
        String::from_utf8_lossy(&s).into_owned()
    };
    Outcome {
        status,
        timed_out,
        stdout: read(log("stdout")),
        stderr: read(log("stderr")),
        elapsed,
    }
}

/// Checks a run; Err says what is wrong.
fn check(build: &Build, phase: Phase, o: &Outcome) -> Result<(), String> {
    let success = !o.timed_out && o.status.is_some_and(|s| s.success());
    let p = &build.program;
    let checked = phase != Phase::Plain;
    if p.kind == Kind::LeakSanity && checked {
        // Must fail, with the checker's report of both leaks.
        let (what, needle, report) = match phase {
            Phase::Sanitized => (
                "LeakSanitizer",
                "Direct leak of",
                o.stderr
                    .contains("ERROR: LeakSanitizer: detected memory leaks")
                    && o.stderr.contains("Direct leak of 4096 byte(s)"),
            ),
            _ => (
                "valgrind",
                "are definitely lost",
                o.stderr
                    .contains("4,096 bytes in 1 blocks are definitely lost"),
            ),
        };
        if o.timed_out || success || !report {
            return Err(format!(
                "the deliberate leak was not caught by {what} (expected a failure and a report \
                 of the 4096-byte block)"
            ));
        }
        if !o.stderr.contains("leak_sanity.c") {
            return Err(format!(
                "{what} did not say where the leaked block came from"
            ));
        }
        if o.stderr.matches(needle).count() < 2 {
            return Err(format!(
                "{what} did not report the leaked library string (apify_last_error_message \
                 without apify_string_free)"
            ));
        }
        return Ok(());
    }
    if !success {
        return Err("the program failed".into());
    }
    // A clean run writes nothing to stderr (sanitizer and valgrind reports go there); only
    // valgrind's own notices ("==PID== Warning: ...", not errors) are let through.
    let noise = |line: &str| phase == Phase::Valgrind && line.contains("== Warning: ");
    if o.stderr.lines().any(|l| !l.trim().is_empty() && !noise(l)) {
        return Err("the program wrote to stderr".into());
    }
    for text in p.expect {
        if !o.stdout.contains(text) {
            return Err(format!("the output lacks {text:?}"));
        }
    }
    if p.kind == Kind::Test {
        let last = o.stdout.lines().last().unwrap_or("");
        let passed = last
            .strip_suffix(" passed, 0 failed")
            .and_then(|n| n.parse::<u32>().ok());
        if passed.unwrap_or(0) == 0 {
            return Err(format!(
                "the last line is {last:?}, not \"N passed, 0 failed\""
            ));
        }
    }
    if let (Some((suffix, lines)), Phase::Plain) = (p.writes, phase) {
        let path = format!("{}{suffix}", build.exe.display());
        let text = fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        if text.lines().count() != lines {
            return Err(format!(
                "{path} has {} lines, not {lines}",
                text.lines().count()
            ));
        }
    }
    Ok(())
}

/// Builds every program both ways (in parallel), runs each build, and fails with every problem.
fn build_and_run(phase: Phase, links: &[Link], wrapper: &[&str], timeout: Duration) {
    let libs = libs();
    let dir = out_dir(phase.name());
    let programs = programs();
    let started = Instant::now();
    let jobs: Vec<(Program, Link)> = programs
        .iter()
        .flat_map(|p| links.iter().map(move |l| (p.clone(), *l)))
        .collect();
    let sanitize = phase == Phase::Sanitized;
    let builds = parallel(jobs, |(p, l)| compile(&p, l, sanitize, &libs, &dir));
    let build_time = started.elapsed();
    let errors: Vec<String> = builds.iter().filter_map(|b| b.clone().err()).collect();
    assert!(
        errors.is_empty(),
        "{} build(s) failed:\n{}",
        errors.len(),
        errors.join("\n")
    );
    let builds: Vec<Build> = builds.into_iter().map(Result::unwrap).collect();

    let started = Instant::now();
    let results = parallel(builds.clone(), |b| {
        let o = run(&b, phase, wrapper, &libs, timeout);
        let verdict = check(&b, phase, &o);
        (b, o, verdict)
    });
    let mut failures = Vec::new();
    for (b, o, verdict) in &results {
        println!(
            "[{}] {:<16} {:<7} {:>6.2}s {}",
            phase.name(),
            b.program.name,
            b.link.name(),
            o.elapsed.as_secs_f64(),
            match verdict {
                Ok(()) if b.program.kind == Kind::LeakSanity && phase != Phase::Plain =>
                    "ok (leak caught)".to_string(),
                Ok(()) => "ok".to_string(),
                Err(e) => format!("FAILED: {e}"),
            }
        );
        if let Err(e) = verdict {
            failures.push(format!(
                "== {} ({}, {}): {e}\n$ {}{} {}\n{}",
                b.program.source,
                b.link.name(),
                phase.name(),
                wrapper.iter().map(|w| format!("{w} ")).collect::<String>(),
                b.exe.display(),
                b.program.args.join(" "),
                o.describe()
            ));
        }
    }
    println!(
        "[{}] built {} programs in {:.1}s, ran them in {:.1}s ({}, {})",
        phase.name(),
        builds.len(),
        build_time.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        libs.so_dir.join("libapify.so").display(),
        libs.archive.display()
    );
    assert!(
        failures.is_empty(),
        "{} of {} C program run(s) failed ({}):\n{}",
        failures.len(),
        results.len(),
        phase.name(),
        failures.join("\n\n")
    );
}

#[test]
fn c_programs_build_and_pass_linked_dynamically_and_statically() {
    build_and_run(
        Phase::Plain,
        &[Link::Dynamic, Link::Static],
        &[],
        Duration::from_secs(180),
    );
}

/// The sanitized builds link the (unsanitized) shared library: the library's code is the same
/// in both linkages and its allocations go through the C allocator ASan intercepts either way,
/// so sanitized static builds would double the link time for nothing.
#[test]
fn c_programs_pass_under_address_and_undefined_behaviour_sanitizers_with_leak_detection() {
    build_and_run(
        Phase::Sanitized,
        &[Link::Dynamic],
        &[],
        Duration::from_secs(300),
    );
}

#[test]
fn c_programs_pass_under_valgrind() {
    match Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => {}
        _ => {
            println!("valgrind is not on PATH: the valgrind runs are skipped");
            return;
        }
    }
    build_and_run(
        Phase::Valgrind,
        &[Link::Dynamic],
        VALGRIND,
        Duration::from_secs(600),
    );
}

/// The Makefile builds the examples against a library directory (LIBDIR), dynamically (with
/// a run path: no LD_LIBRARY_PATH needed) and statically, into BUILDDIR.
#[test]
fn the_examples_makefile_builds_dynamic_and_static_programs() {
    if Command::new("make")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .map_or(true, |s| !s.success())
    {
        println!("make is not on PATH: the Makefile check is skipped");
        return;
    }
    let libs = libs();
    let lib = libs.so_dir;
    assert!(
        lib.join("libapify.a").is_file(),
        "libapify.a is not next to libapify.so in {}",
        lib.display()
    );
    let dir = out_dir("make");
    let jobs = thread::available_parallelism().map_or(2, |n| n.get());
    let out = Command::new("make")
        .arg("-C")
        .arg(crate_dir().join("examples-c"))
        .arg(format!("-j{jobs}"))
        .arg(format!("LIBDIR={}", lib.display()))
        .arg(format!(
            "INCDIR={}",
            artifacts::installed().include_dir.display()
        ))
        .arg(format!("BUILDDIR={}", dir.display()))
        .arg("dynamic")
        .arg(dir.join("static/quickstart"))
        .output()
        .expect("make runs");
    assert!(
        out.status.success(),
        "make failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for flag in C_FLAGS.iter().chain(CXX_FLAGS) {
        assert!(stdout.contains(flag), "make did not use {flag}:\n{stdout}");
    }
    for (exe, name) in [
        (dir.join("dynamic/quickstart"), "dynamic"),
        (dir.join("static/quickstart"), "static"),
        (dir.join("dynamic/cpp_example"), "dynamic C++"),
    ] {
        let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
        let mut cmd = Command::new(&exe);
        cmd.env("APIFY_API_BASE_URL", emulator.base_url())
            .env("APIFY_TOKEN", emulator.token())
            .env_remove("LD_LIBRARY_PATH");
        for var in PROXY_VARS {
            cmd.env_remove(var);
        }
        let out = cmd.output().expect("the example runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("items: [{\"message\":\"Hello from C"),
            "{name} build of the Makefile failed: {}\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
