//! Bytes for the string functions: `encode` and `decode` in PostgreSQL's
//! `hex`, `base64` and `escape` formats, and the bytes a `bytea` (or an
//! untyped literal read as one) argument holds.

use driftdb_engine::text::{format_text, parse_text};
use driftdb_engine::value::{DataType, Value};

use crate::error::{Result, SqlError};

/// The bytes of a `bytea` argument, or of text (an untyped literal read as
/// `bytea`, as PostgreSQL resolves `md5('…')` and `encode('…', …)`).
pub(super) fn bytes_of(v: Option<&Value>) -> Result<Vec<u8>> {
    Ok(match v {
        Some(Value::Bytea(b)) => b.clone(),
        Some(Value::Text(s)) => match parse_text(s, DataType::Bytea)? {
            Value::Bytea(b) => b,
            _ => s.as_bytes().to_vec(),
        },
        Some(other) => format_text(other).unwrap_or_default().into_bytes(),
        None => Vec::new(),
    })
}

/// Lower-case hex digits of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `encode(bytes, format)`: `hex`, `base64` (lines of 76 characters) or
/// `escape`; 22023 for another format.
pub(super) fn encode(bytes: &[u8], format: &str) -> Result<String> {
    use base64::Engine as _;
    Ok(match format.to_ascii_lowercase().as_str() {
        "hex" => hex(bytes),
        "base64" => {
            let flat = base64::engine::general_purpose::STANDARD.encode(bytes);
            // PostgreSQL breaks base64 text into lines of 76 characters.
            flat.as_bytes()
                .chunks(76)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        }
        "escape" => bytes
            .iter()
            .map(|b| match b {
                0 => "\\000".to_string(),
                b'\\' => "\\\\".to_string(),
                0x80..=0xff => format!("\\{b:03o}"),
                b => char::from(*b).to_string(),
            })
            .collect(),
        _ => return Err(unknown_encoding(format)),
    })
}

/// `decode(text, format)`, the inverse of [`encode`].
pub(super) fn decode(text: &str, format: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    match format.to_ascii_lowercase().as_str() {
        "hex" => {
            let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            if !digits.len().is_multiple_of(2) {
                return Err(SqlError::new(
                    "22023",
                    "invalid hexadecimal data: odd number of digits",
                ));
            }
            let nibble = |b: u8| {
                char::from(b).to_digit(16).ok_or_else(|| {
                    SqlError::new(
                        "22023",
                        format!("invalid hexadecimal digit: \"{}\"", char::from(b)),
                    )
                })
            };
            digits
                .chunks(2)
                .map(|pair| match pair {
                    [hi, lo] => Ok((nibble(*hi)? * 16 + nibble(*lo)?) as u8),
                    _ => Ok(0),
                })
                .collect()
        }
        "base64" => {
            let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(clean)
                .map_err(|e| {
                    SqlError::new(
                        "22023",
                        match e {
                            base64::DecodeError::InvalidByte(_, b) => format!(
                                "invalid symbol \"{}\" found while decoding base64 sequence",
                                char::from(b)
                            ),
                            _ => "invalid base64 end sequence".to_string(),
                        },
                    )
                })
        }
        "escape" => match parse_text(text, DataType::Bytea)? {
            Value::Bytea(b) => Ok(b),
            _ => Ok(text.as_bytes().to_vec()),
        },
        _ => Err(unknown_encoding(format)),
    }
}

fn unknown_encoding(format: &str) -> SqlError {
    SqlError::new("22023", format!("unrecognized encoding: \"{format}\""))
}
