//! `CREATE TABLE name (a, b) AS query`: PostgreSQL lets the column list of
//! `CREATE TABLE … AS` name columns without types, which `sqlparser` does
//! not parse. The token stream is rewritten so each bare name carries the
//! marker type `__drift_untyped` (user SQL cannot spell it: the prefix is
//! reserved), which the binder reads as "the query's type".
//!
//! ```text
//! CREATE TABLE t (a, b) AS SELECT …  ->  CREATE TABLE t (a __drift_untyped, b __drift_untyped) AS SELECT …
//! ```

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace, Word};

/// The type name the rewrite gives a bare column name.
pub const UNTYPED: &str = "__drift_untyped";

/// The statement with its `CREATE TABLE … (names) AS` column list typed
/// with the marker; any other statement unchanged.
pub fn rewrite(group: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    match name_list(&group) {
        Some(names) => {
            let mut out = Vec::with_capacity(group.len() + 2 * names.len());
            for (i, t) in group.into_iter().enumerate() {
                let span = t.span;
                out.push(t);
                if names.contains(&i) {
                    out.push(TokenWithSpan::new(
                        Token::Whitespace(Whitespace::Space),
                        span,
                    ));
                    out.push(TokenWithSpan::new(
                        Token::Word(Word {
                            value: UNTYPED.into(),
                            quote_style: None,
                            keyword: Keyword::NoKeyword,
                        }),
                        span,
                    ));
                }
            }
            out
        }
        None => group,
    }
}

/// Positions of the bare column names when the statement is `CREATE
/// [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] name (a, b, …) AS …`.
fn name_list(group: &[TokenWithSpan]) -> Option<Vec<usize>> {
    let tokens: Vec<(usize, &Token)> = group
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
        .map(|(i, t)| (i, &t.token))
        .collect();
    let mut at = 0;
    let keyword = |at: usize, k: Keyword| matches!(tokens.get(at), Some((_, Token::Word(w))) if w.keyword == k);
    if !keyword(at, Keyword::CREATE) {
        return None;
    }
    at += 1;
    if keyword(at, Keyword::TEMP)
        || keyword(at, Keyword::TEMPORARY)
        || keyword(at, Keyword::UNLOGGED)
    {
        at += 1;
    }
    if !keyword(at, Keyword::TABLE) {
        return None;
    }
    at += 1;
    if keyword(at, Keyword::IF) && keyword(at + 1, Keyword::NOT) && keyword(at + 2, Keyword::EXISTS)
    {
        at += 3;
    }
    // The table name: words joined by periods.
    loop {
        if !matches!(tokens.get(at), Some((_, Token::Word(_)))) {
            return None;
        }
        at += 1;
        if !matches!(tokens.get(at), Some((_, Token::Period))) {
            break;
        }
        at += 1;
    }
    if !matches!(tokens.get(at), Some((_, Token::LParen))) {
        return None;
    }
    at += 1;
    let mut names = Vec::new();
    loop {
        match tokens.get(at) {
            Some((i, Token::Word(_))) => names.push(*i),
            _ => return None,
        }
        at += 1;
        match tokens.get(at) {
            Some((_, Token::Comma)) => at += 1,
            Some((_, Token::RParen)) => break,
            _ => return None,
        }
    }
    keyword(at + 1, Keyword::AS).then_some(names)
}
