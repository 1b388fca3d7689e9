//! `GROUP BY` with grouping sets: `GROUPING SETS (…)`, `ROLLUP (…)`,
//! `CUBE (…)` and plain items, expanded to the list of sets PostgreSQL
//! groups by (the items' sets crossed), and `GROUPING(…)`, the bit mask of
//! the arguments a row's set leaves out.

use sqlparser::ast;

use driftdb_engine::value::Value;

use crate::error::{Result, SqlError};
use crate::expr::Expr;

/// PostgreSQL's limit on the number of grouping sets.
const MAX_SETS: usize = 4096;

/// The grouping of a query: its distinct key expressions and its grouping
/// sets (positions in `keys`; one set of all keys for a plain `GROUP BY`).
pub(super) struct Grouping {
    /// The expressions grouped on, each once.
    pub(super) keys: Vec<Expr>,
    /// The sets grouped by.
    pub(super) sets: Vec<Vec<usize>>,
}

impl Grouping {
    /// No `GROUP BY`: one set of no keys.
    pub(super) fn new() -> Self {
        Grouping {
            keys: Vec::new(),
            sets: vec![Vec::new()],
        }
    }

    /// Adds a `GROUP BY` item: `sets` are its sets of bound expressions,
    /// crossed with the sets so far.
    pub(super) fn add_item(&mut self, sets: Vec<Vec<Expr>>) -> Result<()> {
        let mut positions = Vec::with_capacity(sets.len());
        for set in sets {
            let mut p = Vec::with_capacity(set.len());
            for e in set {
                let k = match self.keys.iter().position(|k| *k == e) {
                    Some(k) => k,
                    None => {
                        self.keys.push(e);
                        self.keys.len() - 1
                    }
                };
                if !p.contains(&k) {
                    p.push(k);
                }
            }
            positions.push(p);
        }
        self.sets = cross(&self.sets, &positions)?;
        Ok(())
    }

    /// `GROUPING(args)` over a grouped row whose set number is in column
    /// `set_column`: bit `n - 1 - i` set when the set leaves out argument `i`.
    pub(super) fn grouping(&self, args: Vec<Expr>, set_column: usize) -> Result<Expr> {
        let mut positions = Vec::with_capacity(args.len());
        for a in &args {
            let Some(k) = self.keys.iter().position(|k| k == a) else {
                return Err(SqlError::new(
                    "42803",
                    "arguments to GROUPING must be grouping expressions of the associated query level",
                ));
            };
            positions.push(k);
        }
        if positions.len() > 31 {
            return Err(SqlError::new(
                "54023",
                "GROUPING must have fewer than 32 arguments",
            ));
        }
        let whens = self
            .sets
            .iter()
            .enumerate()
            .map(|(n, set)| {
                let mask = positions
                    .iter()
                    .fold(0i32, |m, k| (m << 1) | i32::from(!set.contains(k)));
                (set_number(n), Expr::Const(Value::Int4(mask)))
            })
            .collect();
        Ok(Expr::Case {
            operand: Some(Box::new(Expr::Column(set_column))),
            whens,
            otherwise: None,
        })
    }
}

/// The value of the set-number column for set `n`.
fn set_number(n: usize) -> Expr {
    Expr::Const(Value::Int4(i32::try_from(n).unwrap_or(i32::MAX)))
}

/// Every set of `a` joined with every set of `b` (54001 past PostgreSQL's
/// limit).
fn cross(a: &[Vec<usize>], b: &[Vec<usize>]) -> Result<Vec<Vec<usize>>> {
    if a.len().saturating_mul(b.len()) > MAX_SETS {
        return Err(too_many());
    }
    Ok(a.iter()
        .flat_map(|x| {
            b.iter().map(move |y| {
                let mut s = x.clone();
                s.extend(y.iter().filter(|k| !x.contains(k)));
                s
            })
        })
        .collect())
}

fn too_many() -> SqlError {
    SqlError::new(
        "54001",
        format!("too many grouping sets present (maximum {MAX_SETS})"),
    )
}

/// The sets of expressions one `GROUP BY` item stands for: a plain
/// expression one set of itself; `ROLLUP (a, b)` `(a, b), (a), ()`;
/// `CUBE (a, b)` every subset; `GROUPING SETS (…)` its sets, each the
/// cross of its elements (which may be `ROLLUP` or `CUBE`).
pub(super) fn item_sets(g: &ast::Expr) -> Result<Vec<Vec<&ast::Expr>>> {
    Ok(match g {
        ast::Expr::Rollup(lists) => (0..=lists.len())
            .rev()
            .map(|k| lists[..k].iter().flatten().collect())
            .collect(),
        ast::Expr::Cube(lists) => {
            if lists.len() > 12 {
                return Err(SqlError::new("54001", "CUBE is limited to 12 elements"));
            }
            let n = lists.len();
            (0..1usize << n)
                .rev()
                .map(|mask| {
                    lists
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << (n - 1 - i)) != 0)
                        .flat_map(|(_, l)| l)
                        .collect()
                })
                .collect()
        }
        ast::Expr::GroupingSets(sets) => {
            let mut out = Vec::new();
            for set in sets {
                let mut crossed: Vec<Vec<&ast::Expr>> = vec![Vec::new()];
                for e in set {
                    let inner = item_sets(e)?;
                    if crossed.len().saturating_mul(inner.len()) > MAX_SETS {
                        return Err(too_many());
                    }
                    crossed = crossed
                        .iter()
                        .flat_map(|x| {
                            inner
                                .iter()
                                .map(move |y| x.iter().chain(y).copied().collect())
                        })
                        .collect();
                }
                out.extend(crossed);
                if out.len() > MAX_SETS {
                    return Err(too_many());
                }
            }
            out
        }
        ast::Expr::Tuple(items) if items.is_empty() => vec![Vec::new()],
        other => vec![vec![other]],
    })
}
