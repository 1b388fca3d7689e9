//! String functions with PostgreSQL's results and errors: `substring`
//! (positions or a regular expression), `strpos`, the trims, `replace`,
//! `split_part`, `concat`, `format`, the `regexp_*` functions, padding,
//! `md5`/`sha256`, `encode`/`decode`, quoting and `string_to_array`.
//! Positions and lengths count characters, not bytes.

use driftdb_engine::text::format_text;
use driftdb_engine::value::{Array, DataType, Value};
use md5::Digest;

use super::encoding::{bytes_of, decode, encode, hex};
use super::format::{format, quote_literal};
use super::regex::{Flags, compiled, replacement};
use crate::error::{Result, SqlError};
use crate::expr::as_i64;

/// A string function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrFunc {
    /// `ascii(text)`
    Ascii,
    /// `bit_length(text)`
    BitLength,
    /// `btrim(text [, characters])`, `trim(BOTH …)`
    Btrim,
    /// `chr(int)`
    Chr,
    /// `concat(any, …)`: NULLs skipped.
    Concat,
    /// `concat_ws(separator, any, …)`
    ConcatWs,
    /// `decode(text, format)`
    Decode,
    /// `encode(bytea, format)`
    Encode,
    /// `format(text, any, …)`
    Format,
    /// `initcap(text)`
    Initcap,
    /// `left(text, n)`
    Left,
    /// `lpad(text, length [, fill])`
    Lpad,
    /// `ltrim(text [, characters])`
    Ltrim,
    /// `md5(text)`
    Md5,
    /// `octet_length(text)`
    OctetLength,
    /// `overlay(text PLACING text FROM start [FOR count])`
    Overlay,
    /// `quote_literal(text)`
    QuoteLiteral,
    /// `quote_nullable(text)`
    QuoteNullable,
    /// `regexp_match(text, pattern [, flags])`
    RegexpMatch,
    /// `regexp_replace(text, pattern, replacement [, flags])`
    RegexpReplace,
    /// `regexp_split_to_array(text, pattern [, flags])`
    RegexpSplitToArray,
    /// `repeat(text, n)`
    Repeat,
    /// `replace(text, from, to)`
    Replace,
    /// `reverse(text)`
    Reverse,
    /// `right(text, n)`
    Right,
    /// `rpad(text, length [, fill])`
    Rpad,
    /// `rtrim(text [, characters])`
    Rtrim,
    /// `sha256(bytea)`
    Sha256,
    /// `split_part(text, delimiter, n)`
    SplitPart,
    /// `starts_with(text, prefix)`
    StartsWith,
    /// `string_to_array(text, delimiter [, null string])`
    StringToArray,
    /// `strpos(text, substring)`, `position(substring IN text)`
    Strpos,
    /// `substring(text, from [, for])` or `substring(text, pattern)`
    Substring,
    /// `to_hex(int)`
    ToHex,
    /// `translate(text, from, to)`
    Translate,
}

/// Most characters a built string may have (PostgreSQL's 1 GB limit).
const MAX_LENGTH: i64 = (1 << 30) - 1;

impl StrFunc {
    /// The result type (independent of the argument types but for `substring`).
    pub fn result_type(self, _args: &[Option<DataType>]) -> Option<DataType> {
        use StrFunc as F;
        Some(match self {
            F::Ascii | F::BitLength | F::OctetLength | F::Strpos => DataType::Int4,
            F::StartsWith => DataType::Bool,
            F::Decode | F::Sha256 => DataType::Bytea,
            F::RegexpMatch | F::RegexpSplitToArray | F::StringToArray => {
                DataType::array_of(DataType::Text).ok()?
            }
            _ => DataType::Text,
        })
    }
}

/// The value of `func(args)` (`name` is the name it was called by).
pub fn call(func: StrFunc, name: &str, args: &[Value]) -> Result<Value> {
    use StrFunc as F;
    let text = |i: usize| args.get(i).and_then(format_text).unwrap_or_default();
    let int = |i: usize| super::args::int(name, args.get(i));
    Ok(match func {
        F::Ascii => Value::Int4(text(0).chars().next().map_or(0, |c| c as i32)),
        F::BitLength => Value::Int4(len_i32(bytes_of(args.first())?.len() * 8)),
        F::OctetLength => Value::Int4(len_i32(bytes_of(args.first())?.len())),
        F::Btrim | F::Ltrim | F::Rtrim => {
            let set: Vec<char> = if args.len() > 1 {
                text(1).chars().collect()
            } else {
                vec![' ']
            };
            let s = text(0);
            let trimmed = match func {
                F::Ltrim => s.trim_start_matches(set.as_slice()),
                F::Rtrim => s.trim_end_matches(set.as_slice()),
                _ => s.trim_matches(set.as_slice()),
            };
            Value::Text(trimmed.to_string())
        }
        F::Chr => chr(int(0)?)?,
        F::Concat => Value::Text(args.iter().filter_map(format_text).collect()),
        F::ConcatWs => match args.first() {
            Some(Value::Null) | None => Value::Null,
            Some(sep) => {
                let sep = format_text(sep).unwrap_or_default();
                let parts: Vec<String> = args[1..].iter().filter_map(format_text).collect();
                Value::Text(parts.join(&sep))
            }
        },
        F::Decode => Value::Bytea(decode(&text(0), &text(1))?),
        F::Encode => Value::Text(encode(&bytes_of(args.first())?, &text(1))?),
        F::Format => match args.first() {
            Some(Value::Null) | None => Value::Null,
            Some(_) => Value::Text(format(&text(0), &args[1..])?),
        },
        F::Initcap => Value::Text(initcap(&text(0))),
        F::Left | F::Right => {
            let chars: Vec<char> = text(0).chars().collect();
            let n = clamp_len(int(1)?, chars.len());
            let len = chars.len();
            let keep = if n >= 0 {
                n as usize
            } else {
                len - n.unsigned_abs() as usize
            };
            let piece = if func == F::Left {
                &chars[..keep]
            } else {
                &chars[len - keep..]
            };
            Value::Text(piece.iter().collect())
        }
        F::Lpad | F::Rpad => {
            let fill = if args.len() > 2 { text(2) } else { " ".into() };
            Value::Text(pad(&text(0), int(1)?, &fill, func == F::Lpad)?)
        }
        F::Md5 => {
            let digest = md5::Md5::digest(bytes_of(args.first())?);
            Value::Text(hex(&digest))
        }
        F::Overlay => {
            // The part before `start`, the replacement, the part after the
            // `count` characters replaced (the replacement's length by default).
            let (s, placing, start) = (text(0), text(1), int(2)?);
            let count = if args.len() > 3 {
                int(3)?
            } else {
                i64::try_from(placing.chars().count()).unwrap_or(i64::MAX)
            };
            let (Value::Text(before), Value::Text(after)) = (
                substring(&s, 1, Some(start.saturating_sub(1)))?,
                substring(&s, start.saturating_add(count), None)?,
            ) else {
                return Ok(Value::Null);
            };
            Value::Text(before + &placing + &after)
        }
        F::QuoteLiteral => Value::Text(quote_literal(&text(0))),
        F::QuoteNullable => match args.first() {
            Some(Value::Null) | None => Value::Text("NULL".into()),
            Some(_) => Value::Text(quote_literal(&text(0))),
        },
        F::RegexpMatch => {
            let flags = flags_arg(args.get(2))?;
            if flags.global {
                return Err(SqlError::new(
                    "22023",
                    "regexp_match() does not support the \"global\" option",
                ));
            }
            let s = text(0);
            let re = compiled(&text(1), flags)?;
            match re.captures(&s) {
                None => Value::Null,
                Some(caps) => text_array(groups(&caps))?,
            }
        }
        F::RegexpReplace => {
            let flags = flags_arg(args.get(3))?;
            let re = compiled(&text(1), flags)?;
            let (s, rep) = (text(0), replacement(&text(2)));
            Value::Text(replace_matches(&re, &s, &rep, flags.global))
        }
        F::RegexpSplitToArray => {
            let flags = flags_arg(args.get(2))?;
            if flags.global {
                return Err(SqlError::new(
                    "22023",
                    "regexp_split_to_array() does not support the \"global\" option",
                ));
            }
            let re = compiled(&text(1), flags)?;
            let s = text(0);
            let parts = split_regex(&re, &s);
            text_array(parts.into_iter().map(Value::Text).collect())?
        }
        F::Repeat => {
            let (s, n) = (text(0), int(1)?.max(0));
            let chars = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
            if chars.saturating_mul(n) > MAX_LENGTH {
                return Err(SqlError::new("54000", "requested length too large"));
            }
            Value::Text(s.repeat(usize::try_from(n).unwrap_or(0)))
        }
        F::Replace => {
            let (s, from) = (text(0), text(1));
            Value::Text(if from.is_empty() {
                s
            } else {
                s.replace(&from, &text(2))
            })
        }
        F::Reverse => Value::Text(text(0).chars().rev().collect()),
        F::Sha256 => Value::Bytea(sha2::Sha256::digest(bytes_of(args.first())?).to_vec()),
        F::SplitPart => split_part(&text(0), &text(1), int(2)?)?,
        F::StartsWith => Value::Bool(text(0).starts_with(&text(1))),
        F::StringToArray => string_to_array(args)?,
        F::Strpos => {
            let (s, sub) = (text(0), text(1));
            Value::Int4(match s.find(&sub) {
                Some(byte) => len_i32(s[..byte].chars().count() + 1),
                None => 0,
            })
        }
        F::Substring => match args.get(1) {
            Some(Value::Text(pattern)) if args.len() == 2 => regex_substring(&text(0), pattern)?,
            Some(Value::Text(_)) => {
                return Err(SqlError::unsupported(
                    "substring(text, pattern, escape), the SQL regular expression form",
                ));
            }
            _ => {
                let count = if args.len() > 2 { Some(int(2)?) } else { None };
                substring(&text(0), int(1)?, count)?
            }
        },
        F::ToHex => Value::Text(match args.first() {
            Some(Value::Int8(i)) => format!("{:x}", *i as u64),
            Some(v) => format!("{:x}", as_i64(v).unwrap_or(0) as i32 as u32),
            None => String::new(),
        }),
        F::Translate => {
            let (from, to): (Vec<char>, Vec<char>) =
                (text(1).chars().collect(), text(2).chars().collect());
            Value::Text(
                text(0)
                    .chars()
                    .filter_map(|c| match from.iter().position(|f| *f == c) {
                        Some(i) => to.get(i).copied(),
                        None => Some(c),
                    })
                    .collect(),
            )
        }
    })
}

/// `regexp_matches(text, pattern [, flags])`: for the first match (every
/// match with `g`), a `text[]` of its groups (or of the whole match when
/// the pattern has none).
pub fn regexp_matches(args: &[Value]) -> Result<Vec<Value>> {
    let text = |i: usize| args.get(i).and_then(format_text).unwrap_or_default();
    let flags = flags_arg(args.get(2))?;
    let re = compiled(&text(1), flags)?;
    let s = text(0);
    let limit = if flags.global { usize::MAX } else { 1 };
    re.captures_iter(&s)
        .take(limit)
        .map(|caps| text_array(groups(&caps)))
        .collect()
}

/// A match's groups as text values (NULL for a group that took no part),
/// or the whole match when the pattern has no group.
fn groups(caps: &regex::Captures<'_>) -> Vec<Value> {
    let text =
        |m: Option<regex::Match<'_>>| m.map_or(Value::Null, |m| Value::Text(m.as_str().into()));
    if caps.len() == 1 {
        vec![text(caps.get(0))]
    } else {
        caps.iter().skip(1).map(text).collect()
    }
}

fn flags_arg(v: Option<&Value>) -> Result<Flags> {
    Flags::parse(&v.and_then(format_text).unwrap_or_default())
}

fn len_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `n` limited to `-len..=len`.
fn clamp_len(n: i64, len: usize) -> i64 {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    n.clamp(-len, len)
}

fn text_array(items: Vec<Value>) -> Result<Value> {
    Ok(Value::Array(Array::new(DataType::Text, items)?))
}

fn chr(code: i64) -> Result<Value> {
    if code < 0 {
        return Err(SqlError::new("22023", "character number must be positive"));
    }
    if code == 0 {
        return Err(SqlError::new("54000", "null character not permitted"));
    }
    u32::try_from(code)
        .ok()
        .and_then(char::from_u32)
        .map(|c| Value::Text(c.to_string()))
        .ok_or_else(|| {
            SqlError::new(
                "54000",
                format!("requested character too large for encoding: {code}"),
            )
        })
}

/// `substring(s from start for count)`: characters `start .. start+count`,
/// counting from 1, the part before 1 cut off.
fn substring(s: &str, start: i64, count: Option<i64>) -> Result<Value> {
    if count.is_some_and(|c| c < 0) {
        return Err(SqlError::new(
            "22011",
            "negative substring length not allowed",
        ));
    }
    let end = count.map_or(i64::MAX, |c| start.saturating_add(c));
    let from = start.max(1);
    if end <= from {
        return Ok(Value::Text(String::new()));
    }
    let skip = usize::try_from(from - 1).unwrap_or(usize::MAX);
    let take = usize::try_from(end - from).unwrap_or(usize::MAX);
    Ok(Value::Text(s.chars().skip(skip).take(take).collect()))
}

/// `substring(s from pattern)`: the first parenthesized group's match, or
/// the whole match when there is no group; NULL when nothing matches.
fn regex_substring(s: &str, pattern: &str) -> Result<Value> {
    let re = compiled(pattern, Flags::default())?;
    Ok(match re.captures(s) {
        None => Value::Null,
        Some(caps) => {
            let m = if caps.len() > 1 {
                caps.get(1)
            } else {
                caps.get(0)
            };
            m.map_or(Value::Null, |m| Value::Text(m.as_str().into()))
        }
    })
}

/// `s` with the first (or, `global`, every) match of `re` replaced by
/// `rep` (in the `regex` crate's form). As in PostgreSQL, an empty match
/// right after another match is replaced too (`'aaa'` and `a*` give `XX`).
fn replace_matches(re: &regex::Regex, s: &str, rep: &str, global: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut start = 0;
    while start <= s.len() {
        let Some(caps) = re.captures_at(s, start) else {
            break;
        };
        let Some(m) = caps.get(0) else { break };
        out.push_str(&s[copied..m.start()]);
        caps.expand(rep, &mut out);
        copied = m.end();
        if !global {
            break;
        }
        start = if m.is_empty() {
            // Step over one character, which is kept.
            match s[m.end()..].chars().next() {
                Some(c) => m.end() + c.len_utf8(),
                None => break,
            }
        } else {
            m.end()
        };
    }
    out.push_str(&s[copied..]);
    out
}

/// `s` split around each match of `re`; an empty match splits between
/// characters, as PostgreSQL does.
fn split_regex(re: &regex::Regex, s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut start = 0;
    for m in re.find_iter(s) {
        if m.start() == m.end() {
            if m.start() == 0 || m.start() >= s.len() {
                continue;
            }
        } else if m.start() == s.len() {
            break;
        }
        parts.push(s[start..m.start()].to_string());
        start = m.end();
    }
    parts.push(s[start..].to_string());
    parts
}

fn split_part(s: &str, delimiter: &str, n: i64) -> Result<Value> {
    if n == 0 {
        return Err(SqlError::new("22023", "field position must not be zero"));
    }
    let fields: Vec<&str> = if delimiter.is_empty() {
        if s.is_empty() { vec![] } else { vec![s] }
    } else {
        s.split(delimiter).collect()
    };
    let index = if n > 0 {
        usize::try_from(n - 1).ok()
    } else {
        usize::try_from(n.unsigned_abs())
            .ok()
            .and_then(|back| fields.len().checked_sub(back))
    };
    Ok(Value::Text(
        index
            .and_then(|i| fields.get(i))
            .map_or(String::new(), |f| (*f).to_string()),
    ))
}

/// `string_to_array(s, delimiter [, null string])`: a NULL delimiter splits
/// into characters, an empty one keeps the string whole.
fn string_to_array(args: &[Value]) -> Result<Value> {
    let Some(Some(s)) = args.first().map(format_text) else {
        return Ok(Value::Null);
    };
    let delimiter = args.get(1).and_then(format_text);
    let null = args.get(2).and_then(format_text);
    if s.is_empty() {
        return text_array(Vec::new());
    }
    let parts: Vec<String> = match delimiter.as_deref() {
        None => s.chars().map(String::from).collect(),
        Some("") => vec![s.clone()],
        Some(d) => s.split(d).map(String::from).collect(),
    };
    text_array(
        parts
            .into_iter()
            .map(|p| {
                if null.as_deref() == Some(p.as_str()) {
                    Value::Null
                } else {
                    Value::Text(p)
                }
            })
            .collect(),
    )
}

fn pad(s: &str, length: i64, fill: &str, left: bool) -> Result<String> {
    if length > MAX_LENGTH {
        return Err(SqlError::new("54000", "requested length too large"));
    }
    let length = usize::try_from(length.max(0)).unwrap_or(0);
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= length || fill.is_empty() {
        return Ok(chars.iter().take(length).collect());
    }
    let padding: String = fill.chars().cycle().take(length - chars.len()).collect();
    Ok(if left {
        padding + s
    } else {
        s.to_string() + &padding
    })
}

/// Upper case at the start of each run of letters and digits, lower case
/// inside it; under the C locale only ASCII letters and digits are word
/// characters and change case, as in PostgreSQL.
fn initcap(s: &str) -> String {
    let mut in_word = false;
    s.chars()
        .map(|c| {
            let mapped = if in_word {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            };
            in_word = c.is_ascii_alphanumeric();
            mapped
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_follow_postgres() -> std::result::Result<(), regex::Error> {
        assert_eq!(
            split_regex(&regex::Regex::new(",")?, "a,b,"),
            ["a", "b", ""]
        );
        assert_eq!(split_regex(&regex::Regex::new("")?, "abc"), ["a", "b", "c"]);
        let star = regex::Regex::new("a*")?;
        assert_eq!(replace_matches(&star, "aaa", "X", true), "XX");
        assert_eq!(
            replace_matches(&regex::Regex::new("")?, "abc", "X", true),
            "XaXbXcX"
        );
        assert_eq!(replace_matches(&star, "baaa", "X", false), "Xbaaa");
        Ok(())
    }
}
