//! PostgreSQL's locking clauses in the forms `sqlparser` does not take:
//! `FOR NO KEY UPDATE` and `FOR KEY SHARE` (read as `FOR UPDATE` and
//! `FOR SHARE`: DriftDB's locks are checked at commit, where the strengths
//! do not differ) and `OF a, b` (read as `OF a FOR UPDATE OF b`).

use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::temporal::{is_keyword, push_words, significant, take};

/// Rewrites the locking clauses of `tokens` into the forms `sqlparser` parses.
pub fn rewrite(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    // Only FOR starts a clause this rewrite changes; most statements have none
    // and pass through without a copy.
    if !tokens.iter().any(|t| is_keyword(&t.token, "FOR")) {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut skip_to = 0;
    // The strength of the clause whose `OF` list is being read.
    let mut list: Option<&'static str> = None;
    for i in 0..tokens.len() {
        if i < skip_to {
            continue;
        }
        let t = &tokens[i];
        if let Some(strength) = list {
            match &t.token {
                Token::Comma => {
                    push_words(&mut out, t, &["FOR", strength, "OF"]);
                    continue;
                }
                Token::Word(_) | Token::Period | Token::Whitespace(_) => {}
                _ => list = None,
            }
            if is_keyword(&t.token, "NOWAIT") || is_keyword(&t.token, "SKIP") {
                list = None;
            }
        }
        if is_keyword(&t.token, "FOR") {
            let next = significant(&tokens, i + 1, 4);
            let word = |n: usize, w: &str| {
                next.get(n)
                    .is_some_and(|&j| is_keyword(&tokens[j].token, w))
            };
            let (strength, clause_end) = if word(0, "NO") && word(1, "KEY") && word(2, "UPDATE") {
                ("UPDATE", 3)
            } else if word(0, "KEY") && word(1, "SHARE") {
                ("SHARE", 2)
            } else if word(0, "UPDATE") || word(0, "SHARE") {
                (if word(0, "UPDATE") { "UPDATE" } else { "SHARE" }, 1)
            } else {
                out.push(take(&mut tokens, i));
                continue;
            };
            push_words(&mut out, t, &["FOR", strength]);
            skip_to = next.get(clause_end - 1).map_or(i + 1, |&j| j + 1);
            list = word(clause_end, "OF").then_some(strength);
            continue;
        }
        out.push(take(&mut tokens, i));
    }
    out
}

#[cfg(test)]
mod tests {
    use sqlparser::tokenizer::{Token, Tokenizer};

    use super::rewrite;
    use crate::parser::DriftDialect;

    fn rewritten(sql: &str) -> Result<String, sqlparser::tokenizer::TokenizerError> {
        let tokens = Tokenizer::new(&DriftDialect::default(), sql).tokenize_with_location()?;
        let words: Vec<String> = rewrite(tokens)
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .map(|t| t.token.to_string())
            .collect();
        Ok(words.join(" "))
    }

    #[test]
    fn strengths_and_lists_become_sqlparser_forms()
    -> Result<(), sqlparser::tokenizer::TokenizerError> {
        assert_eq!(
            rewritten("SELECT 1 FROM a, b FOR NO KEY UPDATE OF a, b NOWAIT")?,
            "SELECT 1 FROM a , b FOR UPDATE OF a FOR UPDATE OF b NOWAIT"
        );
        assert_eq!(rewritten("SELECT 1 FOR KEY SHARE")?, "SELECT 1 FOR SHARE");
        assert_eq!(
            rewritten("SELECT substring('ab' FROM 1 FOR 1)")?,
            "SELECT substring ( 'ab' FROM 1 FOR 1 )"
        );
        Ok(())
    }
}
