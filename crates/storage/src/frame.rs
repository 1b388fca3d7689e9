//! The log's unit of durability: a length-prefixed, CRC32-checked frame, and the
//! commit record it carries.
//!
//! ```text
//! frame   = len: u32 LE | crc: u32 LE | payload[len]
//!           crc = CRC-32 (IEEE) of the 4 length bytes followed by the payload
//! payload = kind: u8 (1 = commit) | flags: u8 (0; bit 0 reserved for "encrypted",
//!           bit 1 for "compressed") | seq: u64 LE | commit_ts: i64 LE (µs since epoch)
//!           | meta_len: u32 LE | meta | n_writes: u32 LE | write*
//! write   = op: u8 (1 = put, 2 = delete) | keyspace: u32 LE | key_len: u32 LE | key
//!           | (put only) value_len: u32 LE | value
//! ```

use crate::{Write, error::StorageError};

/// Bytes before the payload: length and CRC.
pub const FRAME_HEADER_LEN: usize = 8;
/// The largest payload a frame may carry (256 MiB).
pub const MAX_PAYLOAD_LEN: usize = 256 << 20;
/// The largest key a write may carry.
pub const MAX_KEY_LEN: usize = 64 << 10;

const KIND_COMMIT: u8 = 1;
/// op + keyspace + key length: the smallest encoded write.
const MIN_WRITE_LEN: usize = 1 + 4 + 4;
const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;

/// One committed transaction as the log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRecord {
    /// Database-wide sequence number, 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Commit time in microseconds since the Unix epoch; strictly increasing with seq.
    pub commit_ts: i64,
    /// Opaque metadata from the layer above (who committed, what it touched).
    pub meta: Vec<u8>,
    /// The changes, applied in order.
    pub writes: Vec<Write>,
}

/// Why bytes could not be read as a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer bytes remain than the frame header or its declared payload needs.
    Truncated {
        /// Bytes needed from the frame start.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The declared length is zero or above [`MAX_PAYLOAD_LEN`].
    BadLength(u32),
    /// The CRC does not match the bytes.
    BadChecksum {
        /// CRC stored in the frame.
        stored: u32,
        /// CRC of the bytes found.
        computed: u32,
    },
    /// The CRC matched but the payload is not a well-formed record.
    Malformed(String),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Truncated { needed, available } => {
                write!(f, "truncated frame ({available} of {needed} bytes present)")
            }
            Self::BadLength(len) => write!(f, "invalid frame length {len}"),
            Self::BadChecksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            Self::Malformed(why) => write!(f, "malformed commit record: {why}"),
        }
    }
}

fn frame_crc(len_bytes: [u8; 4], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len_bytes);
    h.update(payload);
    h.finalize()
}

/// Appends the frame of `record` to `out`.
pub fn encode_commit(record: &CommitRecord, out: &mut Vec<u8>) -> Result<(), StorageError> {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_HEADER_LEN]);
    out.push(KIND_COMMIT);
    out.push(0);
    out.extend_from_slice(&record.seq.to_le_bytes());
    out.extend_from_slice(&record.commit_ts.to_le_bytes());
    put_bytes(out, &record.meta, "commit metadata")?;
    put_u32(out, record.writes.len(), "write count")?;
    for w in &record.writes {
        match w {
            Write::Put {
                keyspace,
                key,
                value,
            } => {
                out.push(OP_PUT);
                out.extend_from_slice(&keyspace.to_le_bytes());
                put_key(out, key)?;
                put_bytes(out, value, "value")?;
            }
            Write::Delete { keyspace, key } => {
                out.push(OP_DELETE);
                out.extend_from_slice(&keyspace.to_le_bytes());
                put_key(out, key)?;
            }
        }
    }
    let payload_len = out.len() - start - FRAME_HEADER_LEN;
    if payload_len > MAX_PAYLOAD_LEN {
        out.truncate(start);
        return Err(StorageError::TooLarge {
            what: "commit",
            len: payload_len,
            limit: MAX_PAYLOAD_LEN,
        });
    }
    let len_bytes = (payload_len as u32).to_le_bytes();
    let crc = frame_crc(len_bytes, &out[start + FRAME_HEADER_LEN..]);
    out[start..start + 4].copy_from_slice(&len_bytes);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

fn put_u32(out: &mut Vec<u8>, n: usize, what: &'static str) -> Result<(), StorageError> {
    let n = u32::try_from(n).map_err(|_| StorageError::TooLarge {
        what,
        len: n,
        limit: u32::MAX as usize,
    })?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

fn put_key(out: &mut Vec<u8>, key: &[u8]) -> Result<(), StorageError> {
    if key.len() > MAX_KEY_LEN {
        return Err(StorageError::TooLarge {
            what: "key",
            len: key.len(),
            limit: MAX_KEY_LEN,
        });
    }
    put_bytes(out, key, "key")
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8], what: &'static str) -> Result<(), StorageError> {
    put_u32(out, bytes.len(), what)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Reads the frame at the start of `buf`: the record and the frame's total length.
///
/// Never panics, whatever the bytes: this is the function the fuzz target drives.
pub fn decode_frame(buf: &[u8]) -> Result<(CommitRecord, usize), FrameError> {
    if buf.len() < FRAME_HEADER_LEN {
        return Err(FrameError::Truncated {
            needed: FRAME_HEADER_LEN,
            available: buf.len(),
        });
    }
    let len_bytes = [buf[0], buf[1], buf[2], buf[3]];
    let len = u32::from_le_bytes(len_bytes);
    if len == 0 || len as usize > MAX_PAYLOAD_LEN {
        return Err(FrameError::BadLength(len));
    }
    let total = FRAME_HEADER_LEN + len as usize;
    if buf.len() < total {
        return Err(FrameError::Truncated {
            needed: total,
            available: buf.len(),
        });
    }
    let stored = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
    let payload = &buf[FRAME_HEADER_LEN..total];
    let computed = frame_crc(len_bytes, payload);
    if stored != computed {
        return Err(FrameError::BadChecksum { stored, computed });
    }
    let record = decode_payload(payload).map_err(FrameError::Malformed)?;
    Ok((record, total))
}

/// A cursor over a payload that reports, rather than panics on, short input.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| format!("{what} runs past the end of the payload"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let s = self.take(N, what)?;
        let mut a = [0; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn bytes(&mut self, what: &str) -> Result<Vec<u8>, String> {
        let n = self.u32(what)? as usize;
        Ok(self.take(n, what)?.to_vec())
    }
}

fn decode_payload(payload: &[u8]) -> Result<CommitRecord, String> {
    let mut r = Reader {
        buf: payload,
        pos: 0,
    };
    let kind = r.u8("kind")?;
    if kind != KIND_COMMIT {
        return Err(format!("unknown frame kind {kind}"));
    }
    let flags = r.u8("flags")?;
    if flags != 0 {
        return Err(format!("unsupported frame flags {flags:#04x}"));
    }
    let seq = u64::from_le_bytes(r.array("seq")?);
    if seq == 0 {
        return Err("sequence number 0".into());
    }
    let commit_ts = i64::from_le_bytes(r.array("commit timestamp")?);
    let meta = r.bytes("metadata")?;
    let n = r.u32("write count")? as usize;
    // Each write takes at least 9 bytes (a delete of an empty key); refuse counts
    // the payload cannot hold before allocating for them.
    if n > payload.len() / MIN_WRITE_LEN {
        return Err(format!("write count {n} exceeds what the payload can hold"));
    }
    let mut writes = Vec::with_capacity(n);
    for _ in 0..n {
        let op = r.u8("write op")?;
        let keyspace = r.u32("keyspace")?;
        let key = r.bytes("key")?;
        if key.len() > MAX_KEY_LEN {
            return Err(format!("key of {} bytes exceeds the limit", key.len()));
        }
        writes.push(match op {
            OP_PUT => Write::Put {
                keyspace,
                key,
                value: r.bytes("value")?,
            },
            OP_DELETE => Write::Delete { keyspace, key },
            other => return Err(format!("unknown write op {other}")),
        });
    }
    if r.pos != payload.len() {
        return Err(format!(
            "{} trailing bytes after the last write",
            payload.len() - r.pos
        ));
    }
    Ok(CommitRecord {
        seq,
        commit_ts,
        meta,
        writes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CommitRecord {
        CommitRecord {
            seq: 7,
            commit_ts: 1_700_000_000_000_000,
            meta: b"who".to_vec(),
            writes: vec![
                Write::Put {
                    keyspace: 3,
                    key: b"k1".to_vec(),
                    value: b"v1".to_vec(),
                },
                Write::Delete {
                    keyspace: 4,
                    key: b"k2".to_vec(),
                },
            ],
        }
    }

    #[test]
    fn round_trips() -> Result<(), StorageError> {
        let mut buf = Vec::new();
        encode_commit(&sample(), &mut buf)?;
        let (rec, len) = decode_frame(&buf).map_err(|e| StorageError::Format(e.to_string()))?;
        assert_eq!(rec, sample());
        assert_eq!(len, buf.len());
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn any_record_round_trips(
            seq in 1u64..,
            commit_ts in proptest::prelude::any::<i64>(),
            meta in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8),
            writes in proptest::collection::vec(
                (proptest::prelude::any::<bool>(), proptest::prelude::any::<u32>(),
                 proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4),
                 proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4)),
                0..40),
        ) {
            let writes = writes
                .into_iter()
                .map(|(is_put, keyspace, key, value)| if is_put {
                    Write::Put { keyspace, key, value }
                } else {
                    Write::Delete { keyspace, key }
                })
                .collect();
            let record = CommitRecord { seq, commit_ts, meta, writes };
            let mut buf = Vec::new();
            encode_commit(&record, &mut buf)?;
            let decoded = decode_frame(&buf);
            proptest::prop_assert_eq!(decoded, Ok((record, buf.len())));
        }
    }

    #[test]
    fn a_commit_of_only_empty_key_deletes_decodes() -> Result<(), StorageError> {
        let record = CommitRecord {
            seq: 1,
            commit_ts: 1,
            meta: Vec::new(),
            writes: (0..10)
                .map(|ks| Write::Delete {
                    keyspace: ks,
                    key: Vec::new(),
                })
                .collect(),
        };
        let mut buf = Vec::new();
        encode_commit(&record, &mut buf)?;
        assert_eq!(decode_frame(&buf), Ok((record, buf.len())));
        Ok(())
    }

    #[test]
    fn every_single_bit_flip_is_detected() -> Result<(), StorageError> {
        let mut buf = Vec::new();
        encode_commit(&sample(), &mut buf)?;
        for byte in 0..buf.len() {
            for bit in 0..8 {
                let mut bad = buf.clone();
                bad[byte] ^= 1 << bit;
                assert!(
                    decode_frame(&bad).is_err(),
                    "flip at {byte}.{bit} undetected"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn every_truncation_is_detected() -> Result<(), StorageError> {
        let mut buf = Vec::new();
        encode_commit(&sample(), &mut buf)?;
        for cut in 0..buf.len() {
            assert!(matches!(
                decode_frame(&buf[..cut]),
                Err(FrameError::Truncated { .. })
            ));
        }
        Ok(())
    }
}
