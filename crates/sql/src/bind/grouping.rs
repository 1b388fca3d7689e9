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
        ast::Expr::Rollup(lists) => rollup_sets(refs(lists)),
        ast::Expr::Cube(lists) => cube_sets(refs(lists))?,
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
        // Inside GROUPING SETS the parser reads ROLLUP and CUBE as calls.
        ast::Expr::Function(f) => match nested_call(f) {
            Some((true, lists)) => cube_sets(lists)?,
            Some((false, lists)) => rollup_sets(lists),
            None => vec![vec![g]],
        },
        other => vec![vec![other]],
    })
}

/// The lists of a parsed `ROLLUP` or `CUBE`, by reference.
fn refs(lists: &[Vec<ast::Expr>]) -> Vec<Vec<&ast::Expr>> {
    lists.iter().map(|l| l.iter().collect()).collect()
}

/// `ROLLUP (l1, l2, …)`: `(l1, l2, …)`, …, `(l1)`, `()`.
fn rollup_sets(lists: Vec<Vec<&ast::Expr>>) -> Vec<Vec<&ast::Expr>> {
    (0..=lists.len())
        .rev()
        .map(|k| lists[..k].iter().flatten().copied().collect())
        .collect()
}

/// `CUBE (l1, l2, …)`: every subset of the lists (54001 past 12).
fn cube_sets(lists: Vec<Vec<&ast::Expr>>) -> Result<Vec<Vec<&ast::Expr>>> {
    if lists.len() > 12 {
        return Err(SqlError::new("54001", "CUBE is limited to 12 elements"));
    }
    let n = lists.len();
    Ok((0..1usize << n)
        .rev()
        .map(|mask| {
            lists
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (n - 1 - i)) != 0)
                .flat_map(|(_, l)| l.iter().copied())
                .collect()
        })
        .collect())
}

/// A `rollup(…)` or `cube(…)` call as the parser reads one inside
/// `GROUPING SETS`: whether it is a cube, and its lists (`(b, c)` a list
/// of two).
fn nested_call(f: &ast::Function) -> Option<(bool, Vec<Vec<&ast::Expr>>)> {
    let cube = match f.name.to_string().to_lowercase().as_str() {
        "cube" => true,
        "rollup" => false,
        _ => return None,
    };
    let ast::FunctionArguments::List(args) = &f.args else {
        return None;
    };
    let lists = args
        .args
        .iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Tuple(items))) => {
                Some(items.iter().collect())
            }
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(vec![e]),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((cube, lists))
}
