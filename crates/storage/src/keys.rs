//! Order-preserving layout of the versioned store's keys.
//!
//! ```text
//! current key = keyspace: u32 BE | user key
//! history key = keyspace: u32 BE | escaped user key | 0x00 0x00 | !seq_from: u64 BE
//! ```
//!
//! Escaping turns each 0x00 of the user key into 0x00 0xFF, so the 0x00 0x00
//! terminator sorts before any longer key sharing the prefix and keys keep their
//! byte order. The inverted seq puts a key's versions newest first: "K as of N" is
//! one seek to `(K, !N)`, and "every version of K" is one range.

use std::ops::Bound;

/// The key of the current version of `key` in `keyspace`.
pub fn current_key(keyspace: u32, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + key.len());
    current_key_into(keyspace, key, &mut out);
    out
}

/// [`current_key`] into `out` (cleared first), reusing its buffer.
pub fn current_key_into(keyspace: u32, key: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&keyspace.to_be_bytes());
    out.extend_from_slice(key);
}

/// The first 16 bytes of `parts` joined (zero-padded past their end) as one
/// big-endian number. Where two such numbers differ, they order their keys
/// as the bytes do, so a sort compares them first and reads the keys only
/// on a tie. A key in the current layout may be given whole or as its
/// keyspace's bytes and the user key.
pub fn order_prefix(parts: &[&[u8]]) -> u128 {
    let mut head = [0u8; 16];
    let mut at = 0;
    for part in parts {
        let n = part.len().min(16 - at);
        head[at..at + n].copy_from_slice(&part[..n]);
        at += n;
    }
    u128::from_be_bytes(head)
}

/// `range`, user keys of `keyspace`, as bounds on keys in the current layout:
/// an unbounded end stops at the keyspace's edge.
pub fn current_bounds(
    keyspace: u32,
    range: (Bound<&[u8]>, Bound<&[u8]>),
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let ks = keyspace.to_be_bytes();
    let lo = match range.0 {
        Bound::Unbounded => Bound::Included(ks.to_vec()),
        b => b.map(|k| current_key(keyspace, k)),
    };
    let hi = match range.1 {
        Bound::Unbounded => prefix_end(&ks).map_or(Bound::Unbounded, Bound::Excluded),
        b => b.map(|k| current_key(keyspace, k)),
    };
    (lo, hi)
}

/// A bound on an owned key as a bound on its bytes.
pub fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    b.as_ref().map(Vec::as_slice)
}

/// The prefix shared by every history key of `key` in `keyspace`.
pub fn history_prefix(keyspace: u32, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(history_key_len(key));
    out.extend_from_slice(&keyspace.to_be_bytes());
    escape_into(key, &mut out);
    out.extend_from_slice(&[0, 0]);
    out
}

/// The length of every history key of `key`, so buffers are sized once.
fn history_key_len(key: &[u8]) -> usize {
    4 + escaped_len(key) + 2 + 8
}

/// Appends the escaped form of a user key (without terminator).
pub fn escape_into(key: &[u8], out: &mut Vec<u8>) {
    let at = out.len();
    out.resize(at + escaped_len(key), 0);
    escape_to(key, &mut out[at..]);
}

/// The length of `key` escaped.
fn escaped_len(key: &[u8]) -> usize {
    key.len() + key.iter().filter(|&&b| b == 0).count()
}

/// Writes the escaped form of `key` into `out`, exactly `escaped_len(key)`
/// bytes long.
fn escape_to(key: &[u8], out: &mut [u8]) {
    let mut at = 0;
    for &b in key {
        out[at] = b;
        at += 1;
        if b == 0 {
            out[at] = 0xFF;
            at += 1;
        }
    }
}

/// The history key of the version of `key` written at `seq`.
pub fn history_key(keyspace: u32, key: &[u8], seq: u64) -> Vec<u8> {
    let mut out = Vec::new();
    history_key_into(keyspace, key, seq, &mut out);
    out
}

/// Writes the history key of the version of `key` written at `seq` into `out`,
/// replacing its contents.
pub fn history_key_into(keyspace: u32, key: &[u8], seq: u64, out: &mut Vec<u8>) {
    out.clear();
    out.resize(history_key_len(key), 0);
    write_history_key(keyspace, key, seq, out);
}

/// Writes the history key of the version of `key` written at `seq` into
/// `buf` and returns it, or `None` when it does not fit: point reads build
/// their seek key on the stack.
pub fn history_key_in<'b>(
    keyspace: u32,
    key: &[u8],
    seq: u64,
    buf: &'b mut [u8],
) -> Option<&'b [u8]> {
    let len = history_key_len(key);
    let out = buf.get_mut(..len)?;
    write_history_key(keyspace, key, seq, out);
    Some(out)
}

/// Fills `out`, exactly `history_key_len(key)` bytes long, with the history key.
fn write_history_key(keyspace: u32, key: &[u8], seq: u64, out: &mut [u8]) {
    let (head, rest) = out.split_at_mut(4);
    head.copy_from_slice(&keyspace.to_be_bytes());
    let (body, tail) = rest.split_at_mut(rest.len() - 10);
    escape_to(key, body);
    tail[..2].copy_from_slice(&[0, 0]);
    tail[2..].copy_from_slice(&(!seq).to_be_bytes());
}

/// A 64-bit hash of keyspace and key, the same in every process (foldhash
/// with a fixed seed), so every part of the storage layer that hashes keys
/// agrees. foldhash reads a short key in a few wide steps; the sequencer
/// hashes every written key twice (conflict tracking and the overlay's
/// filter).
pub fn key_hash(keyspace: u32, key: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    const SEED: u64 = 0x5d1f_7a3c_94e2_b608;
    foldhash::fast::FixedState::with_seed(SEED).hash_one((keyspace, key))
}

/// Splits a history key into its user key and seq; `None` if malformed.
pub fn decode_history_key(hkey: &[u8]) -> Option<(u32, Vec<u8>, u64)> {
    if hkey.len() < 4 + 2 + 8 {
        return None;
    }
    let keyspace = u32::from_be_bytes([hkey[0], hkey[1], hkey[2], hkey[3]]);
    let (body, seq) = hkey[4..].split_at(hkey.len() - 4 - 8);
    let mut s = [0u8; 8];
    s.copy_from_slice(seq);
    let mut key = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match (body[i], body.get(i + 1)) {
            (0, Some(0xFF)) => {
                key.push(0);
                i += 2;
            }
            (0, Some(0)) if i + 2 == body.len() => {
                return Some((keyspace, key, !u64::from_be_bytes(s)));
            }
            (0, _) => return None,
            (b, _) => {
                key.push(b);
                i += 1;
            }
        }
    }
    None
}

/// The smallest byte string greater than every string with prefix `p`, or `None`
/// when no such string exists (all 0xFF).
pub fn prefix_end(p: &[u8]) -> Option<Vec<u8>> {
    let mut end = p.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn history_keys_sort_by_user_key_then_newest_first(
            a in proptest::collection::vec(any::<u8>(), 0..6),
            b in proptest::collection::vec(any::<u8>(), 0..6),
            sa in 1u64..100, sb in 1u64..100,
        ) {
            let ka = history_key(1, &a, sa);
            let kb = history_key(1, &b, sb);
            let expected = a.cmp(&b).then(sb.cmp(&sa));
            prop_assert_eq!(ka.cmp(&kb), expected);
            prop_assert_eq!(decode_history_key(&ka), Some((1, a.clone(), sa)));
            let mut buf = [0u8; 32];
            prop_assert_eq!(history_key_in(1, &a, sa, &mut buf), Some(ka.as_slice()));
            let mut short = [0u8; 13];
            prop_assert_eq!(history_key_in(1, &a, sa, &mut short), None);
        }
    }
}
