//! The crate's file modules, the paths each uses, and their resolution to the defining module.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use crate::tokens::{read_tree, tokenize, Tok};

pub struct FileMod {
    pub module: String,
    pub file: PathBuf,
    pub lines: usize,
    pub toks: Vec<Tok>,
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are `crate::a::b`; `src/lib.rs` is `crate`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut segs = vec!["crate".to_string()];
    for part in rel.iter() {
        let part = part.to_str().unwrap();
        if part != "mod" && part != "lib" {
            segs.push(part.to_string());
        }
    }
    segs.join("::")
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Binaries are crates of their own.
            if path.file_name().unwrap() != "bin" {
                collect_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// One use of a path: the file it is in, the scope (module) it is read in, and its segments.
pub struct Use {
    pub file: usize,
    pub scope: String,
    pub segs: Vec<String>,
    /// Part of a `use` item (and so a name it brings into `scope`).
    pub is_use: bool,
}

pub struct Crate {
    pub files: Vec<FileMod>,
    pub modules: BTreeSet<String>,
    pub uses: Vec<Use>,
    /// (scope, name) -> index into `uses` of the `use` that brings `name` into `scope`.
    pub imports: HashMap<(String, String), usize>,
}

pub fn load() -> Crate {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    collect_files(&src, &mut paths);
    paths.sort();
    let files: Vec<FileMod> = paths
        .into_iter()
        .map(|file| {
            let text = fs::read_to_string(&file).unwrap();
            FileMod {
                module: module_of(&src, &file),
                lines: text.lines().count(),
                toks: tokenize(&text),
                file,
            }
        })
        .collect();
    let mut modules: BTreeSet<String> = files.iter().map(|f| f.module.clone()).collect();
    let mut uses = Vec::new();
    for (fi, f) in files.iter().enumerate() {
        let t = &f.toks;
        // Inline `mod x { ... }` blocks are scopes of their own (for `super`).
        let mut scopes: Vec<(String, usize)> = vec![(f.module.clone(), 0)];
        let mut depth = 0usize;
        let mut in_use = false;
        let mut i = 0;
        while i < t.len() {
            let scope = scopes.last().unwrap().0.clone();
            match &t[i] {
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => {
                    depth = depth.saturating_sub(1);
                    if scopes.len() > 1 && scopes.last().unwrap().1 == depth {
                        scopes.pop();
                    }
                }
                Tok::Punct(";") => in_use = false,
                Tok::Ident(w) if w == "mod" => {
                    if let (Some(Tok::Ident(name)), Some(Tok::Punct("{"))) =
                        (t.get(i + 1), t.get(i + 2))
                    {
                        let inner = format!("{scope}::{name}");
                        modules.insert(inner.clone());
                        scopes.push((inner, depth));
                    }
                }
                Tok::Ident(w) if w == "use" => in_use = true,
                Tok::Ident(_) => {
                    let after_sep = i > 0 && t[i - 1] == Tok::Punct("::");
                    if !after_sep && t.get(i + 1) == Some(&Tok::Punct("::")) {
                        let mut found = Vec::new();
                        let mut j = i;
                        read_tree(t, &mut j, Vec::new(), &mut found);
                        for segs in found {
                            uses.push(Use {
                                file: fi,
                                scope: scope.clone(),
                                segs,
                                is_use: in_use,
                            });
                        }
                        i = j.max(i + 1);
                        continue;
                    }
                    // `use a::{b, c};` with the tree starting at a brace is not used here.
                }
                _ => {}
            }
            i += 1;
        }
    }
    let mut imports = HashMap::new();
    for (k, u) in uses.iter().enumerate() {
        if u.is_use {
            let name = u.segs.last().unwrap().clone();
            let name = if name == "self" && u.segs.len() > 1 {
                u.segs[u.segs.len() - 2].clone()
            } else {
                name
            };
            imports.insert((u.scope.clone(), name), k);
        }
    }
    Crate {
        files,
        modules,
        uses,
        imports,
    }
}

impl Crate {
    /// The module that defines what `segs` names in `scope`, with the item's name when the path
    /// goes on past that module; `None` for paths into other crates.
    pub fn resolve(
        &self,
        scope: &str,
        segs: &[String],
        depth: u32,
    ) -> Option<(String, Option<String>)> {
        if depth > 16 {
            return None;
        }
        let mut cur: Vec<String> = match segs[0].as_str() {
            "crate" => vec!["crate".into()],
            "self" => scope.split("::").map(String::from).collect(),
            "super" => {
                let mut s: Vec<String> = scope.split("::").map(String::from).collect();
                s.pop();
                s
            }
            child => {
                let path = format!("{scope}::{child}");
                if self.modules.contains(&path) {
                    path.split("::").map(String::from).collect()
                } else if let Some(&k) = self.imports.get(&(scope.to_string(), child.to_string())) {
                    // A name brought in by `use` (e.g. `use super::state; state::X`).
                    let u = &self.uses[k];
                    let mut full = u.segs.clone();
                    if full.last().is_some_and(|s| s == "self") {
                        full.pop();
                    }
                    if full == segs {
                        return None;
                    }
                    full.extend(segs[1..].iter().cloned());
                    return self.resolve(&u.scope, &full, depth + 1);
                } else {
                    return None;
                }
            }
        };
        for (n, seg) in segs.iter().enumerate().skip(1) {
            match seg.as_str() {
                "super" => {
                    cur.pop();
                }
                "self" => {}
                _ => {
                    let here = cur.join("::");
                    let next = format!("{here}::{seg}");
                    if self.modules.contains(&next) {
                        cur.push(seg.clone());
                    } else if let Some(&k) = self.imports.get(&(here.clone(), seg.clone())) {
                        // A re-export: follow it from where it was written.
                        let u = &self.uses[k];
                        let mut full = u.segs.clone();
                        if full.last().is_some_and(|s| s == "self") {
                            full.pop();
                        }
                        full.extend(segs[n + 1..].iter().cloned());
                        return self.resolve(&u.scope, &full, depth + 1);
                    } else {
                        return Some((here, Some(seg.clone())));
                    }
                }
            }
        }
        Some((cur.join("::"), None))
    }

    /// The file module that holds `module` (inline modules belong to their file).
    fn file_of(&self, module: &str) -> Option<usize> {
        self.files
            .iter()
            .enumerate()
            .filter(|(_, f)| module == f.module || module.starts_with(&format!("{}::", f.module)))
            .max_by_key(|(_, f)| f.module.len())
            .map(|(i, _)| i)
    }

    /// Edges between file modules: from -> to -> one example path (for the failure message).
    pub fn edges(&self) -> BTreeMap<usize, BTreeMap<usize, String>> {
        let mut g: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
        for u in &self.uses {
            let Some((module, _item)) = self.resolve(&u.scope, &u.segs, 0) else {
                continue;
            };
            let Some(to) = self.file_of(&module) else {
                continue;
            };
            if to != u.file {
                g.entry(u.file)
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| u.segs.join("::"));
            }
        }
        g
    }

    pub fn name(&self, file: usize) -> String {
        let f = &self.files[file];
        let rel = f
            .file
            .iter()
            .skip_while(|p| *p != "src")
            .collect::<PathBuf>();
        format!("{} ({})", f.module, rel.display())
    }
}
