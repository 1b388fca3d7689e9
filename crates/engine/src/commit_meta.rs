//! What a commit records about itself for `drift_commits` (SPEC §4): who made
//! it, from which application, and which tables it changed. The storage layer
//! keeps these bytes opaque, next to the commit's seq and time.
//!
//! ```text
//! meta  = format u8 (1) | user str | application str | n u32 | table str*
//! str   = len u32 LE | UTF-8 bytes
//! ```

use crate::bytes::{ByteReader, put_str};
use crate::error::{EngineError, Result};

const FORMAT: u8 = 1;

/// The `drift_commits` columns a commit carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitMeta {
    /// The role that committed.
    pub user_name: String,
    /// The session's `application_name`.
    pub application_name: String,
    /// The tables it changed, qualified (`schema.name`), sorted, each once.
    pub tables: Vec<String>,
}

impl CommitMeta {
    /// The bytes to hand to the storage layer.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        put_str(&mut out, &self.user_name);
        put_str(&mut out, &self.application_name);
        out.extend_from_slice(&(self.tables.len() as u32).to_le_bytes());
        for t in &self.tables {
            put_str(&mut out, t);
        }
        out
    }

    /// Reads the bytes back; a commit made with no metadata reads as empty.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() {
            return Ok(CommitMeta::default());
        }
        let corrupted = |m: String| EngineError::Corrupted(format!("commit metadata: {m}"));
        let mut r = ByteReader::new(bytes);
        let format = r.u8().map_err(corrupted)?;
        if format != FORMAT {
            return Err(corrupted(format!("unknown format {format}")));
        }
        let string = |r: &mut ByteReader<'_>| r.string().map_err(corrupted);
        let user_name = string(&mut r)?;
        let application_name = string(&mut r)?;
        let n = r.u32().map_err(corrupted)? as usize;
        if n > r.remaining() {
            return Err(corrupted("table count exceeds the metadata".into()));
        }
        let tables = (0..n).map(|_| string(&mut r)).collect::<Result<Vec<_>>>()?;
        if r.remaining() != 0 {
            return Err(corrupted("trailing bytes".into()));
        }
        Ok(CommitMeta {
            user_name,
            application_name,
            tables,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips(user in ".{0,8}", app in ".{0,8}", tables in proptest::collection::vec(".{0,6}", 0..4)) {
            let meta = CommitMeta { user_name: user, application_name: app, tables };
            prop_assert_eq!(CommitMeta::decode(&meta.encode())?, meta);
        }

        #[test]
        fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = CommitMeta::decode(&bytes);
        }
    }
}
