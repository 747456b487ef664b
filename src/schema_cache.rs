//! The client's cache of compiled input schemas: below the client (which holds it) and the input
//! checks (which fill and read it).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::input_schema::Checker;

/// How many compiled input schemas a client keeps (by Actor and build); the least recently used
/// goes first.
pub const INPUT_SCHEMA_CACHE_ENTRIES: usize = 32;

/// Compiled input schemas by (Actor id, build id), shared by a client's clones; at most
/// [`INPUT_SCHEMA_CACHE_ENTRIES`], least recently used first out.
#[derive(Default)]
pub(crate) struct SchemaCache(Mutex<VecDeque<(String, String, Arc<Checker>)>>);

impl SchemaCache {
    pub(crate) fn get(&self, actor: &str, build: &str) -> Option<Arc<Checker>> {
        let mut entries = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let i = entries.iter().position(|e| e.0 == actor && e.1 == build)?;
        let entry = entries.remove(i)?;
        let checker = entry.2.clone();
        entries.push_back(entry);
        Some(checker)
    }

    pub(crate) fn put(&self, actor: &str, build: &str, checker: Arc<Checker>) {
        let mut entries = self.0.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| !(e.0 == actor && e.1 == build));
        entries.push_back((actor.to_string(), build.to_string(), checker));
        while entries.len() > INPUT_SCHEMA_CACHE_ENTRIES {
            entries.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_the_most_recent_entries() {
        let cache = SchemaCache::default();
        for i in 0..INPUT_SCHEMA_CACHE_ENTRIES + 1 {
            cache.put("a", &i.to_string(), Arc::new(Checker::none()));
        }
        assert!(cache.get("a", "0").is_none());
        assert!(cache.get("a", "1").is_some());
        cache.put("a", "new", Arc::new(Checker::none()));
        // "1" was used last, so "2" went.
        assert!(cache.get("a", "1").is_some());
        assert!(cache.get("a", "2").is_none());
        assert!(cache.get("b", "1").is_none());
    }
}
