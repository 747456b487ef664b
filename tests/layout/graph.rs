//! Cycles in the graph of file modules.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Every elementary cycle found by a depth-first search, each as a list of files.
pub fn cycles(
    g: &BTreeMap<usize, BTreeMap<usize, String>>,
    keep: impl Fn(usize) -> bool,
) -> Vec<Vec<usize>> {
    fn visit(
        n: usize,
        g: &BTreeMap<usize, BTreeMap<usize, String>>,
        keep: &dyn Fn(usize) -> bool,
        color: &mut HashMap<usize, u8>,
        stack: &mut Vec<usize>,
        found: &mut Vec<Vec<usize>>,
    ) {
        color.insert(n, 1);
        stack.push(n);
        for &m in g
            .get(&n)
            .map(|e| e.keys().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if !keep(m) {
                continue;
            }
            match color.get(&m).copied().unwrap_or(0) {
                0 => visit(m, g, keep, color, stack, found),
                1 => {
                    let at = stack.iter().position(|&s| s == m).unwrap();
                    found.push(stack[at..].to_vec());
                }
                _ => {}
            }
        }
        stack.pop();
        color.insert(n, 2);
    }
    let mut color = HashMap::new();
    let mut found = Vec::new();
    for &n in g.keys() {
        if keep(n) && !color.contains_key(&n) {
            visit(n, g, &keep, &mut color, &mut Vec::new(), &mut found);
        }
    }
    found
}

/// The files in a strongly connected component of more than one file (Tarjan's algorithm).
pub fn files_in_cycles(g: &BTreeMap<usize, BTreeMap<usize, String>>, n: usize) -> BTreeSet<usize> {
    struct T<'a> {
        g: &'a BTreeMap<usize, BTreeMap<usize, String>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: BTreeSet<usize>,
    }
    fn strong(t: &mut T, v: usize) {
        t.index[v] = Some(t.next);
        t.low[v] = t.next;
        t.next += 1;
        t.stack.push(v);
        t.on[v] = true;
        let succ: Vec<usize> =
            t.g.get(&v)
                .map(|e| e.keys().copied().collect())
                .unwrap_or_default();
        for w in succ {
            match t.index[w] {
                None => {
                    strong(t, w);
                    t.low[v] = t.low[v].min(t.low[w]);
                }
                Some(iw) if t.on[w] => t.low[v] = t.low[v].min(iw),
                _ => {}
            }
        }
        if Some(t.low[v]) == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                t.out.extend(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: BTreeSet::new(),
    };
    for v in 0..n {
        if t.index[v].is_none() {
            strong(&mut t, v);
        }
    }
    t.out
}
