//! The cursor: which activity ids have been accounted for, gaps included.
//!
//! Directus numbers activity rows with an auto-increment id taken inside the writing
//! transaction. On PostgreSQL (and MySQL) two transactions can commit out of id order: id 11 is
//! visible while id 10 is not yet. A cursor that only remembers "the highest id" would skip 10
//! when it commits a moment later. So the cursor keeps, below its high-water mark `after`, the
//! ids it has not seen yet (`pending`, each with the time it was first missed) and asks for them
//! again on every read until they appear (a late commit: delivered then) or the commit window
//! has passed (a rolled-back transaction, or a row this token may not read).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// At most this many runs of missing ids are waited for at once; beyond, the oldest are given
/// up (with a warning): a token that may not read every activity row sees many gaps.
pub const MAX_PENDING: usize = 5000;

/// A run of missing activity ids `first..=last`, first missed at `since` (unix milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "[u64; 3]", into = "[u64; 3]")]
pub struct Gap {
    /// The first missing id.
    pub first: u64,
    /// The last missing id.
    pub last: u64,
    /// When it was first missed (unix milliseconds).
    pub since: u64,
}

impl From<[u64; 3]> for Gap {
    fn from([first, last, since]: [u64; 3]) -> Gap {
        Gap { first, last, since }
    }
}

impl From<Gap> for [u64; 3] {
    fn from(g: Gap) -> [u64; 3] {
        [g.first, g.last, g.since]
    }
}

/// Where a feed stands in Directus's activity log. Serialized as the cursor file
/// (`{"directus": URL, "after": ID, "pending": [[FIRST, LAST, SINCE_MS], …]}`) and as the n8n
/// node's static data; it holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    /// The Directus whose activity ids these are (its URL): ids mean nothing on another one.
    pub directus: String,
    /// Every activity id up to this one has been accounted for (delivered, or not a change the
    /// feed delivers), except those in `pending`.
    pub after: u64,
    /// Runs of ids below `after` not seen yet (a transaction still committing, or rolled back),
    /// in id order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Gap>,
}

/// What observing an activity id meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Not accounted for before: deliver it if it is a change of the feed.
    New,
    /// Already accounted for (a re-read): skip it.
    Again,
}

impl Cursor {
    /// A cursor at `after` with nothing pending.
    pub fn at(directus: &str, after: u64) -> Cursor {
        Cursor {
            directus: directus.to_string(),
            after,
            pending: Vec::new(),
        }
    }

    /// How many ids are awaited.
    pub fn awaited(&self) -> u64 {
        self.pending.iter().map(|g| g.last - g.first + 1).sum()
    }

    /// Accounts for activity row `id` (rows are observed in ascending id order per read).
    /// Ids skipped over become a pending run; returns how many pending ids had to be given up
    /// because of [`MAX_PENDING`] (the oldest runs go first).
    pub(crate) fn observe(&mut self, id: u64, now_ms: u64) -> (Seen, u64) {
        if id <= self.after {
            let Some(i) = self
                .pending
                .iter()
                .position(|g| g.first <= id && id <= g.last)
            else {
                return (Seen::Again, 0);
            };
            let g = self.pending[i];
            let mut parts = Vec::with_capacity(2);
            if g.first < id {
                parts.push(Gap { last: id - 1, ..g });
            }
            if id < g.last {
                parts.push(Gap { first: id + 1, ..g });
            }
            self.pending.splice(i..=i, parts);
            return (Seen::New, 0);
        }
        if id > self.after + 1 {
            self.pending.push(Gap {
                first: self.after + 1,
                last: id - 1,
                since: now_ms,
            });
        }
        self.after = id;
        let mut dropped = 0;
        while self.pending.len() > MAX_PENDING {
            let g = self.pending.remove(0);
            dropped += g.last - g.first + 1;
        }
        (Seen::New, dropped)
    }

    /// Gives up the pending runs first missed more than `window_ms` before `now_ms`; returns how
    /// many ids that was.
    pub(crate) fn expire(&mut self, now_ms: u64, window_ms: u64) -> u64 {
        let before = self.awaited();
        self.pending
            .retain(|g| now_ms.saturating_sub(g.since) <= window_ms);
        before - self.awaited()
    }

    /// The pending ids as Directus filters, at most `per_filter` runs in each (a run of one id
    /// joins an `_in` list, a longer one is a `_between`).
    pub(crate) fn pending_filters(&self, per_filter: usize) -> Vec<serde_json::Value> {
        use serde_json::json;
        self.pending
            .chunks(per_filter.max(1))
            .map(|runs| {
                let singles: Vec<u64> = runs
                    .iter()
                    .filter(|g| g.first == g.last)
                    .map(|g| g.first)
                    .collect();
                let mut or: Vec<serde_json::Value> = runs
                    .iter()
                    .filter(|g| g.first < g.last)
                    .map(|g| json!({"id": {"_between": [g.first, g.last]}}))
                    .collect();
                if !singles.is_empty() {
                    or.push(json!({"id": {"_in": singles}}));
                }
                json!({ "_or": or })
            })
            .collect()
    }

    /// Reads a cursor file.
    ///
    /// # Errors
    /// An unreadable file or one that does not hold a cursor, with the path.
    pub fn load(path: &Path) -> Result<Option<Cursor>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(format!(
                    "cannot read the cursor file {}: {e}",
                    path.display()
                ));
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            format!(
                "the cursor file {} does not hold a trigger cursor ({e}); give another --cursor file, or delete it to start from now",
                path.display()
            )
        })
    }

    /// Writes the cursor file atomically (a temporary file renamed over it): a crash leaves the
    /// old cursor or the new one, never a torn file.
    ///
    /// # Errors
    /// The file could not be written, with the path.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        self.prepare(path)?.commit()
    }

    /// The first half of [`Cursor::save`]: writes the temporary file. [`Prepared::commit`] then
    /// only renames it, one system call: done right after an item's write, it leaves the
    /// smallest window in which a `kill -9` can separate the two.
    ///
    /// # Errors
    /// The file could not be written, with the path.
    pub fn prepare(&self, path: &Path) -> Result<Prepared, String> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let text = serde_json::to_string(self).map_err(|e| e.to_string())? + "\n";
        std::fs::write(&tmp, text)
            .map_err(|e| format!("cannot write the cursor file {}: {e}", tmp.display()))?;
        Ok(Prepared {
            tmp,
            path: path.to_path_buf(),
        })
    }
}

/// A cursor written next to its file, to be renamed over it.
#[derive(Debug)]
pub struct Prepared {
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl Prepared {
    /// Renames the prepared file over the cursor file.
    ///
    /// # Errors
    /// The rename failed, with the path.
    pub fn commit(self) -> Result<(), String> {
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| format!("cannot write the cursor file {}: {e}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(first: u64, last: u64, since: u64) -> Gap {
        Gap { first, last, since }
    }

    #[test]
    fn a_late_commit_is_new_once_and_a_reread_is_not() {
        let mut c = Cursor::at("http://d", 9);
        assert_eq!(c.observe(14, 5), (Seen::New, 0));
        assert_eq!(c.pending, vec![gap(10, 13, 5)]);
        assert_eq!(c.observe(11, 6), (Seen::New, 0));
        assert_eq!(c.pending, vec![gap(10, 10, 5), gap(12, 13, 5)]);
        assert_eq!(c.observe(11, 7), (Seen::Again, 0));
        assert_eq!(c.observe(14, 7), (Seen::Again, 0));
        assert_eq!(c.observe(10, 7), (Seen::New, 0));
        assert_eq!(c.observe(13, 7), (Seen::New, 0));
        assert_eq!(c.observe(12, 7), (Seen::New, 0));
        assert!(c.pending.is_empty());
        assert_eq!(c.after, 14);
    }

    #[test]
    fn runs_expire_after_the_window_are_capped_and_become_filters() {
        let mut c = Cursor::at("http://d", 0);
        c.observe(3, 100);
        c.observe(5, 200);
        c.observe(9, 200);
        assert_eq!(c.awaited(), 6);
        assert_eq!(c.expire(250, 100), 2);
        assert_eq!(c.pending, vec![gap(4, 4, 200), gap(6, 8, 200)]);
        assert_eq!(
            c.pending_filters(10),
            vec![serde_json::json!({"_or": [{"id": {"_between": [6, 8]}}, {"id": {"_in": [4]}}]})]
        );
        assert_eq!(c.pending_filters(1).len(), 2);
        let mut c = Cursor::at("http://d", 0);
        for id in (2..=2 * MAX_PENDING as u64 + 4).step_by(2) {
            c.observe(id, 1);
        }
        assert_eq!(c.pending.len(), MAX_PENDING);
        assert_eq!(c.pending[0], gap(5, 5, 1));
    }

    #[test]
    fn the_file_round_trips_and_names_the_path_when_it_is_not_a_cursor() {
        let dir = std::env::temp_dir().join(format!("noderun-cursor-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.json");
        assert_eq!(Cursor::load(&path), Ok(None));
        let mut c = Cursor::at("http://d", 3);
        c.observe(6, 1);
        c.save(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"directus\":\"http://d\",\"after\":6,\"pending\":[[4,5,1]]}\n"
        );
        assert_eq!(Cursor::load(&path), Ok(Some(c)));
        std::fs::write(&path, "[]").unwrap();
        let e = Cursor::load(&path).unwrap_err();
        assert!(
            e.starts_with(&format!("the cursor file {} does not hold", path.display())),
            "{e}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
