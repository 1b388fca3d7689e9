//! `EXPLAIN [ANALYZE]`: a statement's plan as PostgreSQL's text format
//! prints it, an indented tree of nodes (`Seq Scan on t`, `Index Scan using
//! t_a_idx on t`, `Hash Join`, `Sort`, …) with their details (`Index Cond`,
//! `Filter`, `Hash Cond`, `Sort Key`, `Group Key`), one line per row of a
//! single text column `QUERY PLAN`. A table read in the past names the point
//! it reads (`Seq Scan on t (as of @SEQ:3)`). DriftDB has no cost model, so
//! no costs are printed.
//!
//! `ANALYZE` runs the statement (a write really writes, as in PostgreSQL)
//! and adds each node's actual time (first row..all rows, in ms, averaged
//! per run), rows per run and runs (`loops`), measured by the
//! [`crate::profile::Profile`] the executor fills while it runs, and the total execution time. Of a
//! write, only the top node has actual figures.

use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use driftdb_engine::catalog::{IndexDef, TableDef};
use driftdb_engine::history::VersionFilter;
use driftdb_engine::txn::Transaction;
use driftdb_engine::value::{DataType, Value};

use crate::bind::HIDDEN_COLUMNS;
use crate::error::{Result, SqlError};
use crate::exec::{Cache, Output, execute};
use crate::expr::{Env, Expr, Func, Subquery, SubqueryKind};
use crate::optimize::{conjuncts, key_range};
use crate::plan::{InsertSource, Plan};
use crate::profile::{Profile, node_key};
use crate::rel::window::WindowKind;
use crate::rel::{AggCall, Join, JoinKind, Rel, Scan, SetOpKind, SortKey};
use crate::run::{equi_keys, run};

/// An `EXPLAIN` statement, bound.
#[derive(Debug, Clone)]
pub struct Explain {
    /// The statement explained: a query, `INSERT`, `UPDATE`, `DELETE` or
    /// `CREATE TABLE … AS`.
    pub plan: Plan,
    /// `ANALYZE`: run it and report what happened.
    pub analyze: bool,
}

/// Runs `EXPLAIN`: the plan's lines (after running it, with `ANALYZE`) and
/// the tables a write changed.
pub fn explain(txn: &mut Transaction<'_>, e: Explain) -> Result<(Output, Vec<String>)> {
    let Explain { plan, analyze } = e;
    let mut lines = Vec::new();
    let mut changed = Vec::new();
    match &plan {
        Plan::Query(q) if analyze => {
            let cache = Cache::default();
            let profile = Rc::new(Profile::default());
            let mut env = Env::new(txn, &cache);
            env.profile = Some(Rc::clone(&profile));
            let start = Instant::now();
            for row in run(&q.rel, &env)? {
                row?;
            }
            let elapsed = start.elapsed();
            let root = Explainer::default().rel(&q.rel);
            root.render(0, false, Some(&profile), &mut lines);
            lines.push(format!("Execution Time: {}", ms(elapsed)));
        }
        Plan::Query(q) => Explainer::default()
            .rel(&q.rel)
            .render(0, false, None, &mut lines),
        _ => {
            let mut root = write_node(&plan)?;
            if analyze {
                let start = Instant::now();
                let (out, tables) = execute(txn, plan)?;
                let elapsed = start.elapsed();
                changed = tables;
                let rows = match out {
                    Output::Rows { rows, .. } => rows.len(),
                    _ => 0,
                };
                root.actual = Some(format!(
                    "(actual time={}..{} rows={rows} loops=1)",
                    ms_bare(elapsed),
                    ms_bare(elapsed)
                ));
                root.render(0, false, None, &mut lines);
                lines.push(format!("Execution Time: {}", ms(elapsed)));
            } else {
                root.render(0, false, None, &mut lines);
            }
        }
    }
    Ok((
        Output::Rows {
            columns: vec![("QUERY PLAN".into(), Some(DataType::Text))],
            rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
            command: "EXPLAIN",
        },
        changed,
    ))
}

fn ms_bare(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn ms(d: Duration) -> String {
    format!("{} ms", ms_bare(d))
}

/// The top node of a write (and its input).
fn write_node(plan: &Plan) -> Result<Node> {
    let mut ex = Explainer::default();
    Ok(match plan {
        Plan::Insert {
            table,
            source,
            on_conflict,
            ..
        } => {
            let input = match source {
                InsertSource::Values(rows) => values_node(rows.len()),
                InsertSource::Query { rel, .. } => ex.rel(rel),
            };
            let mut node = Node::new(format!("Insert on {}", table.name));
            if let Some(oc) = on_conflict {
                node.props.push(format!(
                    "Conflict Resolution: {}",
                    if oc.update.is_some() {
                        "UPDATE"
                    } else {
                        "NOTHING"
                    }
                ));
            }
            node.children.push(input);
            node
        }
        Plan::Update {
            table,
            filter,
            from: others,
            ..
        }
        | Plan::Delete {
            table,
            filter,
            using: others,
            ..
        } => {
            let verb = if matches!(plan, Plan::Update { .. }) {
                "Update"
            } else {
                "Delete"
            };
            let range = filter.as_ref().map_or(
                (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
                |f| key_range(table, f, &[]),
            );
            let keyed = !matches!(
                range,
                (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded)
            );
            let names = ex.scan_names(table);
            let mut node = Node::new(format!("{verb} on {}", table.name));
            match others {
                // `FROM`/`USING`: each row of the table against the other
                // tables' rows, the filter over both (not shown).
                Some(rel) => {
                    let mut nested = Node::new("Nested Loop".into());
                    nested
                        .children
                        .push(Node::new(access_title(table, None, false, None)));
                    nested.children.push(ex.rel(rel));
                    node.children.push(nested);
                }
                None => {
                    let mut scan = Node::new(access_title(table, None, keyed, None));
                    if let Some(f) = filter {
                        ex.conditions(&mut scan, f, table, None, keyed, &names);
                    }
                    node.children.push(scan);
                }
            }
            node
        }
        Plan::CreateTableAs {
            query: Some(rel), ..
        } => ex.rel(rel),
        Plan::CreateTableAs { query: None, .. } => Node::new("Result".into()),
        _ => {
            return Err(SqlError::new(
                "42601",
                "EXPLAIN takes a query, INSERT, UPDATE, DELETE or CREATE TABLE AS",
            ));
        }
    })
}

fn values_node(rows: usize) -> Node {
    Node::new(if rows == 1 {
        "Result".into()
    } else {
        "Values Scan on \"*VALUES*\"".into()
    })
}

/// One node of the printed tree.
#[derive(Debug, Default)]
struct Node {
    title: String,
    /// Detail lines (`Filter: …`).
    props: Vec<String>,
    children: Vec<Node>,
    /// A label printed above the node (`SubPlan 1`).
    label: Option<String>,
    /// The plan node whose measurements this node shows (`ANALYZE`).
    measured: Option<usize>,
    /// Actual figures given directly (a write's top node).
    actual: Option<String>,
}

impl Node {
    fn new(title: String) -> Self {
        Node {
            title,
            ..Node::default()
        }
    }

    fn measuring(mut self, rel: &Rel) -> Self {
        self.measured = Some(node_key(rel));
        self
    }

    /// Appends the node's lines: its title at column `at` (after `->  `
    /// when `arrow`), details two columns right of the title, children
    /// below them.
    fn render(&self, at: usize, arrow: bool, profile: Option<&Profile>, out: &mut Vec<String>) {
        let mut at = at;
        if let Some(label) = &self.label {
            out.push(format!("{}{label}", " ".repeat(at)));
            at += 2;
        }
        let (prefix, col) = if arrow {
            (format!("{}->  ", " ".repeat(at)), at + 4)
        } else {
            (" ".repeat(at), at)
        };
        let actual = match (&self.actual, profile, self.measured) {
            (Some(a), _, _) => format!("  {a}"),
            (None, Some(p), Some(key)) => match p.stats(key) {
                Some(s) if s.loops > 0 => {
                    let per = |d: Duration| ms_bare(d / u32::try_from(s.loops).unwrap_or(u32::MAX));
                    format!(
                        "  (actual time={}..{} rows={} loops={})",
                        per(s.first),
                        per(s.total),
                        s.rows / s.loops,
                        s.loops
                    )
                }
                _ => "  (never executed)".into(),
            },
            _ => String::new(),
        };
        out.push(format!("{prefix}{}{actual}", self.title));
        for p in &self.props {
            out.push(format!("{}{p}", " ".repeat(col + 2)));
        }
        for c in &self.children {
            c.render(col + 2, true, profile, out);
        }
    }
}

/// The title of a table read: how it reaches its rows and which point of
/// history it reads.
fn access_title(
    def: &TableDef,
    index: Option<&IndexDef>,
    keyed: bool,
    versions: Option<&VersionFilter>,
) -> String {
    let access = match index {
        Some(ix) => format!("Index Scan using {} on {}", ix.name, def.name),
        None if keyed => format!("Index Scan using {}_pkey on {}", def.name, def.name),
        None => format!("Seq Scan on {}", def.name),
    };
    let seq = |r: &driftdb_engine::history::Resolved| format!("@SEQ:{}", r.le);
    match versions {
        None => access,
        Some(VersionFilter::AsOf(p)) => format!("{access} (as of {})", seq(p)),
        Some(VersionFilter::All) => format!("{access} (all versions)"),
        Some(VersionFilter::FromTo(a, b)) => {
            format!("{access} (versions from {} to {})", seq(a), seq(b))
        }
        Some(VersionFilter::Between(a, b)) => {
            format!("{access} (versions between {} and {})", seq(a), seq(b))
        }
        Some(VersionFilter::ContainedIn(a, b)) => {
            format!("{access} (versions contained in {}, {})", seq(a), seq(b))
        }
    }
}

/// Builds the tree of a plan, naming each node's columns so expressions
/// print with names.
#[derive(Default)]
struct Explainer<'r> {
    /// Column names of the enclosing rows (correlated subqueries, LATERAL).
    outer: Vec<Vec<String>>,
    /// Names and column names of the working tables of recursive queries.
    work: HashMap<usize, (String, Vec<String>)>,
    /// Subqueries met in the expressions printed since the last node took
    /// them: number, plan, names of the row they run for.
    subplans: Vec<(usize, &'r Subquery, Vec<String>)>,
    numbered: usize,
    /// How many joins the node being built is under: columns of tables
    /// read under a join are named with their table's name.
    joined: usize,
}

impl<'r> Explainer<'r> {
    /// The tree of `rel`.
    fn rel(&mut self, rel: &'r Rel) -> Node {
        self.node(rel).0
    }

    fn scan_names(&self, def: &TableDef) -> Vec<String> {
        def.columns
            .iter()
            .map(|c| {
                if self.joined > 0 {
                    format!("{}.{}", def.name, c.name)
                } else {
                    c.name.clone()
                }
            })
            .chain(HIDDEN_COLUMNS.iter().map(|h| (*h).to_string()))
            .collect()
    }

    /// `Index Cond` (the conjuncts of `pred` the key or index reads) and
    /// `Filter` (the rest) of a table read.
    fn conditions(
        &mut self,
        node: &mut Node,
        pred: &'r Expr,
        def: &TableDef,
        index: Option<&IndexDef>,
        keyed: bool,
        names: &[String],
    ) {
        let key_columns: Vec<usize> = match index {
            Some(ix) => ix
                .columns
                .iter()
                .filter_map(|id| def.position(*id))
                .collect(),
            None if keyed => def
                .primary_key
                .iter()
                .filter_map(|id| def.position(*id))
                .collect(),
            None => Vec::new(),
        };
        let mut parts = Vec::new();
        conjuncts(pred, &mut parts);
        let (cond, rest): (Vec<&Expr>, Vec<&Expr>) = parts.into_iter().partition(|c| match c {
            Expr::Binary(op, l, r) if op.is_comparison() => match (&**l, &**r) {
                (Expr::Column(i), Expr::Const(_) | Expr::Unknown(_))
                | (Expr::Const(_) | Expr::Unknown(_), Expr::Column(i)) => key_columns.contains(i),
                _ => false,
            },
            _ => false,
        });
        if !cond.is_empty() {
            let text = self.and(&cond, names);
            node.props.push(format!("Index Cond: {text}"));
        }
        if !rest.is_empty() {
            let text = self.and(&rest, names);
            node.props.push(format!("Filter: {text}"));
        }
    }

    fn and(&mut self, parts: &[&'r Expr], names: &[String]) -> String {
        let texts: Vec<String> = parts.iter().map(|p| self.expr(p, names)).collect();
        match texts.as_slice() {
            [one] => one.clone(),
            _ => format!("({})", texts.join(" AND ")),
        }
    }

    /// Adds the subqueries met so far to `node`, as `SubPlan n` children.
    fn take_subplans(&mut self, node: &mut Node) {
        let found = std::mem::take(&mut self.subplans);
        for (n, s, names) in found {
            if s.correlated {
                self.outer.push(names);
            }
            let mut child = self.rel(&s.rel);
            if s.correlated {
                self.outer.pop();
            }
            child.label = Some(format!(
                "{} {n}",
                if s.correlated { "SubPlan" } else { "InitPlan" }
            ));
            node.children.push(child);
        }
    }

    /// The node of `rel` and the names of its output columns.
    fn node(&mut self, rel: &'r Rel) -> (Node, Vec<String>) {
        let (mut node, names) = match rel {
            Rel::Values(rows) => (
                values_node(rows.len()),
                (1..=rows.first().map_or(0, Vec::len))
                    .map(|i| format!("column{i}"))
                    .collect(),
            ),
            Rel::Scan(s) => {
                let names = self.scan_names(&s.def);
                (Node::new(scan_title(s)), names)
            }
            Rel::Filter(input, pred) => {
                if let Rel::Scan(s) = &**input {
                    let names = self.scan_names(&s.def);
                    let mut node = Node::new(scan_title(s));
                    let index = s.index.as_ref().map(|(ix, _)| ix);
                    self.conditions(&mut node, pred, &s.def, index, keyed(s), &names);
                    (node, names)
                } else {
                    // The rows shown are those the filter lets through.
                    let (mut node, names) = self.node(input);
                    let text = self.expr(pred, &names);
                    node.props.push(format!("Filter: {text}"));
                    node.measured = None;
                    (node, names)
                }
            }
            Rel::Project(input, exprs) => {
                let (node, names) = self.node(input);
                let out = exprs.iter().map(|e| self.expr(e, &names)).collect();
                (node, out)
            }
            Rel::ProjectSet(input, exprs) => {
                let (child, names) = self.node(input);
                let out = exprs.iter().map(|e| self.expr(e, &names)).collect();
                let mut node = Node::new("ProjectSet".into());
                node.children.push(child);
                (node, out)
            }
            Rel::Join(j) => self.join(j, false),
            Rel::Lateral(j) => self.join(j, true),
            Rel::Aggregate(a) => {
                let (child, names) = self.node(&a.input);
                let groups: Vec<String> = a.group.iter().map(|g| self.expr(g, &names)).collect();
                let aggs: Vec<String> = a.aggs.iter().map(|c| self.agg(c, &names)).collect();
                let mut node = Node::new(if groups.is_empty() {
                    "Aggregate".into()
                } else {
                    "HashAggregate".into()
                });
                if !groups.is_empty() {
                    node.props.push(format!("Group Key: {}", groups.join(", ")));
                }
                node.children.push(child);
                // The aggregation's rows: keys, grouping set number, aggregates.
                let set = std::iter::once("grouping_set".to_string());
                (node, groups.into_iter().chain(set).chain(aggs).collect())
            }
            Rel::Distinct(input) => {
                let (child, names) = self.node(input);
                let mut node = Node::new("HashAggregate".into());
                node.props.push(format!("Group Key: {}", names.join(", ")));
                node.children.push(child);
                (node, names)
            }
            Rel::DistinctOn(input, _) => {
                let (child, names) = self.node(input);
                let mut node = Node::new("Unique".into());
                node.children.push(child);
                (node, names)
            }
            Rel::Window(w) => {
                let (child, mut names) = self.node(&w.input);
                let mut calls = Vec::with_capacity(w.calls.len());
                for call in &w.calls {
                    calls.push(match &call.kind {
                        WindowKind::Func(f, _) => format!("{}()", snake(&format!("{f:?}"))),
                        WindowKind::Agg(c) => self.agg(c, &names),
                    });
                }
                names.extend(calls);
                let mut node = Node::new("WindowAgg".into());
                node.children.push(child);
                (node, names)
            }
            Rel::Sort(input, keys) => {
                let (child, names) = self.node(input);
                let mut node = Node::new("Sort".into());
                let keys: Vec<String> = keys.iter().map(|k| self.sort_key(k, &names)).collect();
                node.props.push(format!("Sort Key: {}", keys.join(", ")));
                node.children.push(child);
                (node, names)
            }
            Rel::Limit { input, .. } => {
                let (child, names) = self.node(input);
                let mut node = Node::new("Limit".into());
                node.children.push(child);
                (node, names)
            }
            Rel::SetOp(s) => {
                let (left, names) = self.node(&s.left);
                let (right, _) = self.node(&s.right);
                let all = if s.all { " All" } else { "" };
                let node = match s.kind {
                    SetOpKind::Union => {
                        let mut append = Node::new("Append".into());
                        append.children = vec![left, right];
                        if s.all {
                            append
                        } else {
                            let mut node = Node::new("HashAggregate".into());
                            node.props.push(format!("Group Key: {}", names.join(", ")));
                            node.children.push(append);
                            node
                        }
                    }
                    SetOpKind::Intersect | SetOpKind::Except => {
                        let kind = if s.kind == SetOpKind::Intersect {
                            "Intersect"
                        } else {
                            "Except"
                        };
                        let mut node = Node::new(format!("HashSetOp {kind}{all}"));
                        node.children = vec![left, right];
                        node
                    }
                };
                (node, names)
            }
            Rel::Commits => (
                Node::new("Function Scan on drift_commits".into()),
                [
                    "seq",
                    "committed_at",
                    "user_name",
                    "application_name",
                    "tables",
                ]
                .map(String::from)
                .to_vec(),
            ),
            Rel::Diff(d) => {
                let mut names = vec!["op".to_string(), "seq".to_string()];
                for c in &d.def.columns {
                    names.push(format!("before_{}", c.name));
                    names.push(format!("after_{}", c.name));
                }
                (
                    Node::new(format!(
                        "Function Scan on drift_diff ({} from @SEQ:{} to @SEQ:{})",
                        d.def.name, d.from, d.to
                    )),
                    names,
                )
            }
            Rel::System(s) => {
                let table = crate::system::TABLES.get(s.table);
                let title = match (table, s.as_of) {
                    (Some(t), None) => format!("Seq Scan on {}", t.name),
                    (Some(t), Some(seq)) => format!("Seq Scan on {} (as of @SEQ:{seq})", t.name),
                    (None, _) => "Seq Scan".into(),
                };
                let names = crate::system::columns(s.table)
                    .into_iter()
                    .map(|(n, _)| n)
                    .collect();
                (Node::new(title), names)
            }
            Rel::Series(s) => {
                let name = snake(&format!("{:?}", s.func));
                let mut names = vec![name.clone()];
                if s.ordinality {
                    names.push("ordinality".into());
                }
                (Node::new(format!("Function Scan on {name}")), names)
            }
            Rel::Recursive(r) => {
                let (base, _) = self.node(&r.base);
                self.work.insert(r.id, r.names.clone());
                let (step, _) = self.node(&r.step);
                let mut node = Node::new(format!("Recursive Union ({})", r.names.0));
                node.children = vec![base, step];
                (node, r.names.1.clone())
            }
            Rel::WorkTable(id) => {
                let (name, names) = self.work.get(id).cloned().unwrap_or_default();
                (Node::new(format!("WorkTable Scan on {name}")), names)
            }
        };
        self.take_subplans(&mut node);
        if node.measured.is_none() {
            node = node.measuring(rel);
        }
        (node, names)
    }

    fn join(&mut self, j: &'r Join, lateral: bool) -> (Node, Vec<String>) {
        self.joined += 1;
        let (left, lnames) = self.node(&j.left);
        if lateral {
            self.outer.push(lnames.clone());
        }
        let (right, rnames) = self.node(&j.right);
        if lateral {
            self.outer.pop();
        }
        self.joined -= 1;
        let names: Vec<String> = lnames.into_iter().chain(rnames).collect();
        let kind = match j.kind {
            JoinKind::Inner => "",
            JoinKind::Left => " Left Join",
            JoinKind::Right => " Right Join",
            JoinKind::Full => " Full Join",
        };
        let hashed = !lateral && equi_keys(&j.on, j.left_width).is_some();
        let trivial = j.on == Expr::Const(Value::Bool(true));
        let mut node = if hashed {
            let mut node = Node::new(format!(
                "Hash{}",
                if kind.is_empty() { " Join" } else { kind }
            ));
            let text = self.expr(&j.on, &names);
            node.props.push(format!("Hash Cond: {text}"));
            let mut hash = Node::new("Hash".into());
            hash.children.push(right);
            node.children = vec![left, hash];
            node
        } else {
            let mut node = Node::new(format!("Nested Loop{kind}"));
            if !trivial {
                let text = self.expr(&j.on, &names);
                node.props.push(format!("Join Filter: {text}"));
            }
            node.children = vec![left, right];
            node
        };
        self.take_subplans(&mut node);
        (node, names)
    }

    fn sort_key(&mut self, k: &'r SortKey, names: &[String]) -> String {
        let mut text = self.expr(&k.expr, names);
        if !k.asc {
            text.push_str(" DESC");
        }
        match (k.asc, k.nulls_first) {
            (true, true) => text.push_str(" NULLS FIRST"),
            (false, false) => text.push_str(" NULLS LAST"),
            _ => {}
        }
        text
    }

    fn agg(&mut self, c: &'r AggCall, names: &[String]) -> String {
        let name = snake(&format!("{:?}", c.func));
        let args: Vec<String> = c.args.iter().map(|a| self.expr(a, names)).collect();
        let args = if args.is_empty() {
            "*".to_string()
        } else {
            args.join(", ")
        };
        let distinct = if c.distinct { "DISTINCT " } else { "" };
        let mut text = format!("{name}({distinct}{args})");
        if let Some(f) = &c.filter {
            text = format!("{text} FILTER (WHERE {})", self.expr(f, names));
        }
        text
    }

    /// `e` as text, its columns named by `names`.
    fn expr(&mut self, e: &'r Expr, names: &[String]) -> String {
        let column =
            |names: &[String], i: usize| names.get(i).cloned().unwrap_or_else(|| format!("${i}"));
        match e {
            Expr::Const(v) => constant(v),
            Expr::Unknown(s) => format!("'{}'", s.replace('\'', "''")),
            Expr::Param(i, _) => format!("${}", i + 1),
            Expr::Window(_) => "window function".into(),
            Expr::Column(i) => column(names, *i),
            Expr::Outer { depth, index } => {
                let level = self.outer.len().checked_sub(*depth);
                let names = level.and_then(|l| self.outer.get(l)).cloned();
                column(&names.unwrap_or_default(), *index)
            }
            Expr::Not(x) => format!("(NOT {})", self.expr(x, names)),
            Expr::Neg(x) => format!("(- {})", self.expr(x, names)),
            Expr::IsNull(x, not) => format!(
                "({} IS {}NULL)",
                self.expr(x, names),
                if *not { "NOT " } else { "" }
            ),
            Expr::Binary(op, l, r) => format!(
                "({} {} {})",
                self.expr(l, names),
                op.symbol(),
                self.expr(r, names)
            ),
            Expr::IsDistinct(l, r, not) => format!(
                "({} IS {}DISTINCT FROM {})",
                self.expr(l, names),
                if *not { "NOT " } else { "" },
                self.expr(r, names)
            ),
            Expr::Cast(x, t) => format!(
                "({})::{}",
                self.expr(x, names),
                driftdb_engine::text::type_name(*t)
            ),
            Expr::Like(l) => format!(
                "({} {}{} {})",
                self.expr(&l.expr, names),
                if l.negated { "NOT " } else { "" },
                if l.case_insensitive { "ILIKE" } else { "LIKE" },
                self.expr(&l.pattern, names)
            ),
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let items: Vec<String> = list.iter().map(|i| self.expr(i, names)).collect();
                format!(
                    "({} {}IN ({}))",
                    self.expr(expr, names),
                    if *negated { "NOT " } else { "" },
                    items.join(", ")
                )
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                let mut text = "CASE".to_string();
                if let Some(o) = operand {
                    text = format!("{text} {}", self.expr(o, names));
                }
                for (w, t) in whens {
                    text = format!(
                        "{text} WHEN {} THEN {}",
                        self.expr(w, names),
                        self.expr(t, names)
                    );
                }
                if let Some(o) = otherwise {
                    text = format!("{text} ELSE {}", self.expr(o, names));
                }
                format!("{text} END")
            }
            Expr::Call(f, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a, names)).collect();
                format!("{}({})", func_name(*f), args.join(", "))
            }
            Expr::Subquery(s) => {
                self.numbered += 1;
                let n = self.numbered;
                self.subplans.push((n, s, names.to_vec()));
                let plan = if s.correlated { "SubPlan" } else { "InitPlan" };
                match &s.kind {
                    SubqueryKind::Exists => format!("(EXISTS {plan} {n})"),
                    SubqueryKind::In(x) => {
                        format!("(ANY ({} = ({plan} {n})))", self.expr(x, names))
                    }
                    SubqueryKind::Quantified { expr, op, all } => format!(
                        "({} ({} {} ({plan} {n})))",
                        if *all { "ALL" } else { "ANY" },
                        self.expr(expr, names),
                        op.symbol()
                    ),
                    SubqueryKind::Scalar | SubqueryKind::Array(_) => format!("({plan} {n})"),
                }
            }
            Expr::Agg(c) => self.agg(c, names),
        }
    }
}

/// Whether a scan reads a primary-key range rather than every key.
fn keyed(s: &Scan) -> bool {
    !matches!(
        s.range,
        (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded)
    )
}

fn scan_title(s: &Scan) -> String {
    access_title(
        &s.def,
        s.index.as_ref().map(|(ix, _)| ix),
        keyed(s),
        s.versions.as_ref(),
    )
}

/// A constant as PostgreSQL prints one in a plan.
fn constant(v: &Value) -> String {
    match (v, driftdb_engine::text::format_text(v)) {
        (_, None) => "NULL".into(),
        (
            Value::Int2(_)
            | Value::Int4(_)
            | Value::Int8(_)
            | Value::Float4(_)
            | Value::Float8(_)
            | Value::Numeric(_),
            Some(t),
        ) => t,
        (Value::Bool(b), _) => if *b { "true" } else { "false" }.into(),
        (v, Some(t)) => {
            let quoted = format!("'{}'", t.replace('\'', "''"));
            match v.data_type() {
                Some(ty) => format!("{quoted}::{}", driftdb_engine::text::type_name(ty)),
                None => quoted,
            }
        }
    }
}

fn func_name(f: Func) -> String {
    match f {
        Func::Catalog(c) => c.name().to_string(),
        Func::Sequence(s) => s.name().to_string(),
        Func::Array(a) => a.name().to_string(),
        Func::Regex(true) => "regexp_like_ci".into(),
        Func::Regex(false) => "regexp_like".into(),
        other => snake(&format!("{other:?}")),
    }
}

/// `BoolAnd` as `bool_and`: a variant's name as SQL spells the function.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}
