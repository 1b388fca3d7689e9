//! Time-travel clauses of SPEC §4, parsed through `sqlparser`.
//!
//! `sqlparser` parses only `FOR SYSTEM_TIME AS OF <expr>` after a table name.
//! Before parsing, the token stream is rewritten so that every other form
//! becomes that one, with the form carried by a marker function:
//!
//! ```text
//! @SEQ:N                            -> __drift_seq(N)
//! AS OF SYSTEM TIME t               -> FOR SYSTEM_TIME AS OF t
//! FOR SYSTEM_TIME AS OF TRANSACTION n -> FOR SYSTEM_TIME AS OF __drift_seq(n)
//! FOR SYSTEM_TIME ALL               -> FOR SYSTEM_TIME AS OF __drift_all()
//! FOR ALL SYSTEM_TIME               -> FOR SYSTEM_TIME AS OF __drift_all()
//! FOR SYSTEM_TIME FROM a TO b       -> FOR SYSTEM_TIME AS OF __drift_from_to(a, b)
//! FOR SYSTEM_TIME BETWEEN a AND b   -> FOR SYSTEM_TIME AS OF __drift_between(a, b)
//! FOR SYSTEM_TIME CONTAINED IN (a, b) -> FOR SYSTEM_TIME AS OF __drift_contained_in(a, b)
//! ```
//!
//! The operands' extents are found by parsing them as expressions, so `b` may
//! be any expression. Identifiers starting with `__drift_` are refused in user
//! SQL, so a marker always comes from this rewrite. [`system_time`] turns the
//! parsed clause back into a [`SystemTime`].

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectNamePart, TableVersion,
};
use sqlparser::dialect::{Dialect, Precedence};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace, Word};

use super::ParseError;
use super::dialect::DriftDialect;

const RESERVED_PREFIX: &str = "__drift_";
const MARK_SEQ: &str = "__drift_seq";
const MARK_ALL: &str = "__drift_all";
const MARK_FROM_TO: &str = "__drift_from_to";
const MARK_BETWEEN: &str = "__drift_between";
const MARK_CONTAINED_IN: &str = "__drift_contained_in";
const MARK_SYMMETRIC: &str = "__drift_symmetric";

/// A point in the database's history.
#[derive(Debug, Clone, PartialEq)]
pub enum Point {
    /// Right after commit N (`@SEQ:N`, `AS OF TRANSACTION N`): the expression for N.
    Seq(Expr),
    /// The last commit at or before a time: the timestamp expression.
    Time(Expr),
}

/// Which versions of a table a reference reads (SPEC §4).
#[derive(Debug, Clone, PartialEq)]
pub enum SystemTime {
    /// The table as of one point.
    AsOf(Point),
    /// Every version, current and past, deleted ones included.
    All,
    /// Versions with start < b and end > a.
    FromTo(Point, Point),
    /// Versions with start ≤ b and end > a.
    Between(Point, Point),
    /// Versions with start ≥ a and end ≤ b.
    ContainedIn(Point, Point),
}

/// The time-travel clause of a table reference, from its parsed version.
pub fn system_time(version: &TableVersion) -> Result<SystemTime, ParseError> {
    let TableVersion::ForSystemTimeAsOf(expr) = version else {
        return Err(ParseError::Unsupported(format!(
            "table version clause {version}; DriftDB reads the past with FOR SYSTEM_TIME"
        )));
    };
    let Some((name, args)) = marker_call(expr) else {
        return Ok(SystemTime::AsOf(point_of(expr)));
    };
    let pair = |args: &[Expr]| match args {
        [a, b] => Ok((point_of(a), point_of(b))),
        _ => Err(ParseError::Syntax(format!(
            "a time-travel range takes two points, found {}",
            args.len()
        ))),
    };
    match name.as_str() {
        MARK_SEQ => Ok(SystemTime::AsOf(point_of(expr))),
        MARK_ALL => Ok(SystemTime::All),
        MARK_FROM_TO => pair(&args).map(|(a, b)| SystemTime::FromTo(a, b)),
        MARK_BETWEEN => pair(&args).map(|(a, b)| SystemTime::Between(a, b)),
        MARK_CONTAINED_IN => pair(&args).map(|(a, b)| SystemTime::ContainedIn(a, b)),
        other => Err(ParseError::Syntax(format!(
            "unknown time-travel marker {other}"
        ))),
    }
}

/// The point an expression names: `@SEQ:N` (already rewritten) or a time.
pub fn point_of(expr: &Expr) -> Point {
    match marker_call(expr) {
        Some((name, mut args)) if name == MARK_SEQ && args.len() == 1 => Point::Seq(args.remove(0)),
        _ => Point::Time(expr.clone()),
    }
}

/// The marker's name and plain arguments when `expr` is a call to a marker.
fn marker_call(expr: &Expr) -> Option<(String, Vec<Expr>)> {
    let Expr::Function(f) = expr else { return None };
    let [ObjectNamePart::Identifier(ident)] = f.name.0.as_slice() else {
        return None;
    };
    if ident.quote_style.is_some() || !ident.value.starts_with(RESERVED_PREFIX) {
        return None;
    }
    let args = match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?,
        FunctionArguments::None | FunctionArguments::Subquery(_) => return None,
    };
    Some((ident.value.clone(), args))
}

/// Rewrites the time-travel forms into `FOR SYSTEM_TIME AS OF <marker>`.
pub fn rewrite(tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, ParseError> {
    let mut tokens = rewrite_seq_points(tokens)?;
    // Only FOR, AS and BETWEEN start a form this rewrite changes.
    let starts_form = |t: &TokenWithSpan| {
        matches!(&t.token, Token::Word(w)
            if w.quote_style.is_none()
                && ["FOR", "AS", "BETWEEN"].iter().any(|k| w.value.eq_ignore_ascii_case(k)))
    };
    if !tokens.iter().any(starts_form) {
        return Ok(tokens);
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if !starts_form(&tokens[i]) {
            out.push(take(&mut tokens, i));
            i += 1;
            continue;
        }
        let sig = significant(&tokens, i, 5);
        let kw = |n: usize, k: &str| sig.get(n).is_some_and(|&j| is_keyword(&tokens[j].token, k));
        let at = |n: usize| sig.get(n).map_or(tokens.len(), |&j| j);
        if kw(0, "AS") && kw(1, "OF") && kw(2, "SYSTEM") && kw(3, "TIME") {
            push_words(&mut out, &tokens[i], &["FOR", "SYSTEM_TIME", "AS", "OF"]);
            i = at(3) + 1;
        } else if kw(0, "FOR")
            && ((kw(1, "ALL") && kw(2, "SYSTEM_TIME")) || (kw(1, "SYSTEM_TIME") && kw(2, "ALL")))
        {
            push_marker_head(&mut out, &tokens[i], MARK_ALL);
            push(&mut out, &tokens[i], Token::RParen);
            i = at(2) + 1;
        } else if kw(0, "FOR")
            && kw(1, "SYSTEM_TIME")
            && kw(2, "AS")
            && kw(3, "OF")
            && kw(4, "TRANSACTION")
        {
            push_marker_head(&mut out, &tokens[i], MARK_SEQ);
            let end = operand_end(&tokens, at(4) + 1, None)?;
            out.extend_from_slice(&tokens[at(4) + 1..end]);
            push(&mut out, &tokens[i], Token::RParen);
            i = end;
        } else if kw(0, "FOR") && kw(1, "SYSTEM_TIME") && kw(2, "FROM") {
            i = rewrite_range(&tokens, i, at(2) + 1, "TO", MARK_FROM_TO, None, &mut out)?;
        } else if kw(0, "FOR") && kw(1, "SYSTEM_TIME") && kw(2, "BETWEEN") {
            let prec = DriftDialect::default().prec_value(Precedence::Between);
            i = rewrite_range(
                &tokens,
                i,
                at(2) + 1,
                "AND",
                MARK_BETWEEN,
                Some(prec),
                &mut out,
            )?;
        } else if kw(0, "FOR") && kw(1, "SYSTEM_TIME") && kw(2, "CONTAINED") && kw(3, "IN") {
            let paren = significant(&tokens, at(3) + 1, 1).first().copied();
            if paren.is_none_or(|j| tokens[j].token != Token::LParen) {
                return Err(ParseError::Syntax(format!(
                    "expected (a, b) after CONTAINED IN at {}",
                    tokens[at(3)].span.end
                )));
            }
            push_words(&mut out, &tokens[i], &["FOR", "SYSTEM_TIME", "AS", "OF"]);
            push(&mut out, &tokens[i], word(MARK_CONTAINED_IN));
            i = at(3) + 1;
        } else if kw(0, "BETWEEN") && kw(1, "SYMMETRIC") {
            // `BETWEEN SYMMETRIC a AND b` becomes `BETWEEN __drift_symmetric(a) AND b`.
            let prec = DriftDialect::default().prec_value(Precedence::Between);
            let end = operand_end(&tokens, at(1) + 1, Some(prec))?;
            out.extend_from_slice(&tokens[i..=at(0)]);
            push(&mut out, &tokens[i], word(MARK_SYMMETRIC));
            push(&mut out, &tokens[i], Token::LParen);
            out.extend_from_slice(&tokens[at(1) + 1..end]);
            push(&mut out, &tokens[i], Token::RParen);
            i = end;
        } else if kw(0, "BETWEEN") && kw(1, "ASYMMETRIC") {
            out.extend_from_slice(&tokens[i..=at(0)]);
            i = at(1) + 1;
        } else {
            out.push(take(&mut tokens, i));
            i += 1;
        }
    }
    Ok(out)
}

/// The low bound of a `BETWEEN SYMMETRIC` (as the rewrite marks it), or
/// `None` for a plain `BETWEEN`.
pub fn symmetric_low(low: &Expr) -> Option<&Expr> {
    use sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
    let Expr::Function(f) = low else {
        return None;
    };
    if f.name.to_string() != MARK_SYMMETRIC {
        return None;
    }
    match &f.args {
        FunctionArguments::List(l) => match l.args.as_slice() {
            [FunctionArg::Unnamed(FunctionArgExpr::Expr(e))] => Some(e),
            _ => None,
        },
        _ => None,
    }
}

/// `FOR SYSTEM_TIME FROM a TO b` and `FOR SYSTEM_TIME BETWEEN a AND b`: the
/// operands' extents come from parsing them. Returns where the clause ends.
fn rewrite_range(
    tokens: &[TokenWithSpan],
    head: usize,
    first: usize,
    separator: &str,
    marker: &str,
    precedence: Option<u8>,
    out: &mut Vec<TokenWithSpan>,
) -> Result<usize, ParseError> {
    let a_end = operand_end(tokens, first, precedence)?;
    let sep = significant(tokens, a_end, 1)
        .first()
        .copied()
        .filter(|&j| is_keyword(&tokens[j].token, separator))
        .ok_or_else(|| {
            ParseError::Syntax(format!(
                "expected {separator} in the FOR SYSTEM_TIME range at {}",
                tokens
                    .get(a_end)
                    .map_or_else(|| "end of input".to_string(), |t| t.span.start.to_string())
            ))
        })?;
    let b_end = operand_end(tokens, sep + 1, precedence)?;
    push_marker_head(out, &tokens[head], marker);
    out.extend_from_slice(&tokens[first..sep]);
    push(out, &tokens[head], Token::Comma);
    out.extend_from_slice(&tokens[sep + 1..b_end]);
    push(out, &tokens[head], Token::RParen);
    Ok(b_end)
}

/// Where the expression starting at `start` ends, found by parsing it.
fn operand_end(
    tokens: &[TokenWithSpan],
    start: usize,
    precedence: Option<u8>,
) -> Result<usize, ParseError> {
    let dialect = DriftDialect::default();
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens[start..].to_vec());
    match precedence {
        Some(p) => parser.parse_subexpr(p),
        None => parser.parse_expr(),
    }
    .map_err(ParseError::from)?;
    Ok(start + parser.index())
}

/// Turns `@SEQ:N` into `__drift_seq(N)` and refuses user identifiers that
/// could pass for markers.
fn rewrite_seq_points(mut tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, ParseError> {
    let mut has_point = false;
    for (i, t) in tokens.iter().enumerate() {
        if let Token::Word(w) = &t.token
            && w.value
                .as_bytes()
                .get(..RESERVED_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_PREFIX.as_bytes()))
        {
            return Err(ParseError::Syntax(format!(
                "identifiers starting with {RESERVED_PREFIX} are reserved, found {} at {}",
                w.value, t.span.start
            )));
        }
        has_point = has_point || seq_point(&tokens[i..]).is_some();
    }
    // Most statements name no point: their tokens go on as they are.
    if !has_point {
        return Ok(tokens);
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if let Some((n, len)) = seq_point(&tokens[i..]) {
            push(&mut out, &tokens[i], word(MARK_SEQ));
            push(&mut out, &tokens[i], Token::LParen);
            push(&mut out, &tokens[i], Token::Number(n, false));
            push(&mut out, &tokens[i], Token::RParen);
            i += len;
        } else {
            out.push(take(&mut tokens, i));
            i += 1;
        }
    }
    Ok(out)
}

/// `@SEQ:N` at the start of `tokens`: the number and how many tokens it takes.
/// The tokenizer may split it as `@`, `SEQ`, `:`, `N` or keep `:N` together.
fn seq_point(tokens: &[TokenWithSpan]) -> Option<(String, usize)> {
    if !matches!(tokens.first()?.token, Token::AtSign) || !is_keyword(&tokens.get(1)?.token, "SEQ")
    {
        return None;
    }
    match (&tokens.get(2)?.token, tokens.get(3).map(|t| &t.token)) {
        (Token::Colon, Some(Token::Number(n, false))) if is_digits(n) => Some((n.clone(), 4)),
        (Token::Placeholder(p), _) => p
            .strip_prefix(':')
            .filter(|n| is_digits(n))
            .map(|n| (n.to_string(), 3)),
        _ => None,
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Indexes of the next `n` tokens from `i` that are not whitespace or comments.
pub(super) fn significant(tokens: &[TokenWithSpan], i: usize, n: usize) -> Vec<usize> {
    tokens
        .iter()
        .enumerate()
        .skip(i)
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(j, _)| j)
        .take(n)
        .collect()
}

/// Moves token `i` out of `tokens` for a rewrite that has read past it
/// (rewrites only look ahead), leaving an end-of-input token in its place.
pub(super) fn take(tokens: &mut [TokenWithSpan], i: usize) -> TokenWithSpan {
    let span = tokens[i].span;
    std::mem::replace(&mut tokens[i], TokenWithSpan::new(Token::EOF, span))
}

pub(super) fn is_keyword(token: &Token, keyword: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(keyword))
}

fn word(value: &str) -> Token {
    Token::Word(Word {
        value: value.to_string(),
        quote_style: None,
        keyword: sqlparser::keywords::ALL_KEYWORDS
            .binary_search(&value.to_ascii_uppercase().as_str())
            .map_or(sqlparser::keywords::Keyword::NoKeyword, |i| {
                sqlparser::keywords::ALL_KEYWORDS_INDEX[i]
            }),
    })
}

/// Appends `token` with the location of `at`, so errors point at the clause.
fn push(out: &mut Vec<TokenWithSpan>, at: &TokenWithSpan, token: Token) {
    out.push(TokenWithSpan::new(token, at.span));
}

pub(super) fn push_words(out: &mut Vec<TokenWithSpan>, at: &TokenWithSpan, words: &[&str]) {
    for (n, w) in words.iter().enumerate() {
        if n > 0 {
            push(out, at, Token::Whitespace(Whitespace::Space));
        }
        push(out, at, word(w));
    }
    push(out, at, Token::Whitespace(Whitespace::Space));
}

/// `FOR SYSTEM_TIME AS OF <marker>(`.
fn push_marker_head(out: &mut Vec<TokenWithSpan>, at: &TokenWithSpan, marker: &str) {
    push_words(out, at, &["FOR", "SYSTEM_TIME", "AS", "OF"]);
    push(out, at, word(marker));
    push(out, at, Token::LParen);
}
