//! Routing for the response checker: a concrete request path to the OpenAPI path template it
//! matches (path templates are not schemas, so boon has no part here).

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The key of an operation in a path item, or None for what is no HTTP method.
pub fn method_key(method: &str) -> Option<&'static str> {
    let m = method.to_ascii_lowercase();
    HTTP_METHODS.iter().copied().find(|k| *k == m)
}

/// The path templates of a document.
pub struct Routes(Vec<Route>);

impl Routes {
    pub fn new<'a>(templates: impl Iterator<Item = &'a String>) -> Routes {
        let routes = templates.map(|template| Route {
            template: template.clone(),
            segments: split_path(template).iter().map(|s| parse_seg(s)).collect(),
        });
        Routes(routes.collect())
    }

    /// The most specific template matching a request path (literal segments win over
    /// `{param}`s). Segments may be percent-encoded; a query string, scheme and host, and a
    /// trailing slash are ignored; `/v2/acts/` is the legacy alias of `/v2/actors/`.
    pub fn template(&self, path: &str) -> Option<&str> {
        let raw = normalize_request_path(path);
        let mut segs: Vec<String> = split_path(&raw).iter().map(|s| percent_decode(s)).collect();
        if segs.len() >= 2 && segs[0] == "v2" && segs[1] == "acts" {
            segs[1] = "actors".to_owned();
        }
        let route = self
            .0
            .iter()
            .filter(|r| {
                r.segments.len() == segs.len()
                    && r.segments.iter().zip(&segs).all(|(t, s)| t.matches(s))
            })
            .max_by(|a, b| {
                let ra = a.segments.iter().map(Seg::rank);
                let rb = b.segments.iter().map(Seg::rank);
                ra.cmp(rb)
            })?;
        Some(&route.template)
    }
}

struct Route {
    template: String,
    segments: Vec<Seg>,
}

enum Seg {
    /// A literal segment, compared with the percent-decoded request segment.
    Literal(String),
    /// A whole-segment `{param}`.
    Param,
    /// A segment mixing literal text and `{param}`s, e.g. `{id}.json`.
    Mixed(regex::Regex),
}

impl Seg {
    /// 2 = literal, 1 = mixed, 0 = parameter: higher is more specific.
    fn rank(&self) -> u8 {
        match self {
            Seg::Literal(_) => 2,
            Seg::Mixed(_) => 1,
            Seg::Param => 0,
        }
    }

    fn matches(&self, decoded: &str) -> bool {
        match self {
            Seg::Literal(l) => l == decoded,
            Seg::Param => !decoded.is_empty(),
            Seg::Mixed(re) => re.is_match(decoded),
        }
    }
}

pub fn escape_pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Strips scheme/host, query and fragment, and a trailing slash.
fn normalize_request_path(path: &str) -> String {
    let mut p = path;
    for scheme in ["http://", "https://"] {
        if let Some(rest) = p.strip_prefix(scheme) {
            p = rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    let mut p = p.split(['?', '#']).next().unwrap_or("").to_owned();
    if !p.starts_with('/') {
        p.insert(0, '/');
    }
    while p.len() > 1 && p.ends_with('/') {
        p.pop();
    }
    p
}

pub fn split_path(p: &str) -> Vec<&str> {
    p.trim_start_matches('/').split('/').collect()
}

fn parse_seg(s: &str) -> Seg {
    if !s.contains('{') {
        return Seg::Literal(s.to_owned());
    }
    if s.starts_with('{') && s.ends_with('}') && s.matches('{').count() == 1 {
        return Seg::Param;
    }
    // Mixed literal text and parameters: `{name}` becomes `.+?`, the rest is literal.
    let mut re = String::from("^");
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        re.push_str(&regex::escape(&rest[..open]));
        match rest[open..].find('}') {
            Some(close) => {
                re.push_str(".+?");
                rest = &rest[open + close + 1..];
            }
            None => {
                re.push_str(&regex::escape(&rest[open..]));
                rest = "";
            }
        }
    }
    re.push_str(&regex::escape(rest));
    re.push('$');
    Seg::Mixed(regex::Regex::new(&re).expect("path template segment regex"))
}

/// Decodes `%XX` escapes (invalid escapes are kept as they are; invalid UTF-8 is replaced).
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
