//! Every time-travel form of SPEC §4 parses into the right clause, leaves the
//! rest of the statement alone, and malformed ones get a syntax error.

use driftdb_sql::parser::{ParseError, Point, Stmt, SystemTime, parse, system_time};
use sqlparser::ast::{SetExpr, Statement, TableFactor, TableWithJoins};

/// A table reference: name, alias and time-travel clause.
type Reference = (String, Option<String>, Option<SystemTime>);

/// The references of a SELECT's FROM clause, joins included.
fn references(sql: &str) -> Result<Vec<Reference>, ParseError> {
    let statements = parse(sql)?;
    let [Stmt::Sql(statement)] = statements.as_slice() else {
        panic!("expected one statement: {statements:?}");
    };
    let Statement::Query(query) = statement.as_ref() else {
        panic!("expected a query: {statement:?}");
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        panic!("expected a SELECT");
    };
    let mut out = Vec::new();
    let mut add = |factor: &TableFactor| -> Result<(), ParseError> {
        let TableFactor::Table {
            name,
            alias,
            version,
            ..
        } = factor
        else {
            panic!("expected a table");
        };
        out.push((
            name.to_string(),
            alias.as_ref().map(|a| a.name.value.clone()),
            version.as_ref().map(system_time).transpose()?,
        ));
        Ok(())
    };
    for TableWithJoins { relation, joins } in &select.from {
        add(relation)?;
        for j in joins {
            add(&j.relation)?;
        }
    }
    Ok(out)
}

fn only(sql: &str) -> Result<SystemTime, ParseError> {
    let refs = references(sql)?;
    assert_eq!(refs.len(), 1, "{sql}");
    Ok(refs
        .into_iter()
        .next()
        .and_then(|r| r.2)
        .unwrap_or_else(|| panic!("no clause in {sql}")))
}

/// A point as text: `seq N` or `time <expr>`.
fn show(p: &Point) -> String {
    match p {
        Point::Seq(e) => format!("seq {e}"),
        Point::Time(e) => format!("time {e}"),
    }
}

fn show_clause(c: &SystemTime) -> String {
    match c {
        SystemTime::AsOf(p) => format!("as of {}", show(p)),
        SystemTime::All => "all".into(),
        SystemTime::FromTo(a, b) => format!("from {} to {}", show(a), show(b)),
        SystemTime::Between(a, b) => format!("between {} and {}", show(a), show(b)),
        SystemTime::ContainedIn(a, b) => format!("contained in {} , {}", show(a), show(b)),
    }
}

#[test]
fn every_form_of_spec_section_4() -> Result<(), ParseError> {
    let cases = [
        (
            "SELECT * FROM t FOR SYSTEM_TIME AS OF @SEQ:3",
            "as of seq 3",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME AS OF @SEQ:12 WHERE x = 1",
            "as of seq 12",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME AS OF '2024-01-01 00:00:00+00'",
            "as of time '2024-01-01 00:00:00+00'",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME AS OF now() - INTERVAL '1 hour'",
            "as of time now() - INTERVAL '1 hour'",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME AS OF TRANSACTION 7",
            "as of seq 7",
        ),
        ("SELECT * FROM t FOR SYSTEM_TIME ALL", "all"),
        ("SELECT * FROM t FOR ALL SYSTEM_TIME", "all"),
        (
            "SELECT * FROM t AS OF SYSTEM TIME '2024-01-01'",
            "as of time '2024-01-01'",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME FROM @SEQ:2 TO @SEQ:5",
            "from seq 2 to seq 5",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME FROM '2024-01-01' TO now()",
            "from time '2024-01-01' to time now()",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME BETWEEN @SEQ:2 AND @SEQ:5",
            "between seq 2 and seq 5",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME BETWEEN 1 + 1 AND 2 * 3",
            "between time 1 + 1 and time 2 * 3",
        ),
        (
            "SELECT * FROM t FOR SYSTEM_TIME CONTAINED IN (@SEQ:2, @SEQ:9)",
            "contained in seq 2 , seq 9",
        ),
        (
            "select * from t for system_time as of @seq:4",
            "as of seq 4",
        ),
    ];
    for (sql, want) in cases {
        let got = only(sql).map_err(|e| ParseError::Syntax(format!("{sql}: {e}")))?;
        assert_eq!(show_clause(&got), want, "{sql}");
    }
    Ok(())
}

#[test]
fn the_clause_comes_before_the_alias_and_each_reference_has_its_own() -> Result<(), ParseError> {
    let refs = references(
        "SELECT * FROM t FOR SYSTEM_TIME AS OF @SEQ:3 AS old \
         JOIN t AS now_ ON old.id = now_.id \
         JOIN u FOR SYSTEM_TIME BETWEEN @SEQ:1 AND @SEQ:2 v ON true \
         WHERE old.x > 1",
    )?;
    let shown: Vec<_> = refs
        .iter()
        .map(|(n, a, c)| {
            format!(
                "{n} {} {}",
                a.clone().unwrap_or_default(),
                c.as_ref().map(show_clause).unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "t old as of seq 3",
            "t now_ ",
            "u v between seq 1 and seq 2"
        ]
    );
    Ok(())
}

#[test]
fn seq_points_inside_strings_and_other_statements_are_untouched() -> Result<(), ParseError> {
    let statements =
        parse("SET drift.as_of = '@SEQ:3'; SELECT '@SEQ:1 FOR SYSTEM_TIME ALL' FROM t")?;
    assert_eq!(statements.len(), 2);
    assert!(
        references("SELECT * FROM t WHERE a = '@SEQ:3'")?[0]
            .2
            .is_none()
    );
    Ok(())
}

#[test]
fn malformed_clauses_are_syntax_errors() {
    for sql in [
        "SELECT * FROM t FOR SYSTEM_TIME FROM @SEQ:2",
        "SELECT * FROM t FOR SYSTEM_TIME FROM @SEQ:2 AND @SEQ:3",
        "SELECT * FROM t FOR SYSTEM_TIME BETWEEN @SEQ:2",
        "SELECT * FROM t FOR SYSTEM_TIME AS OF",
        "SELECT * FROM t FOR SYSTEM_TIME CONTAINED IN",
        "SELECT * FROM t FOR SYSTEM_TIME AS OF TRANSACTION",
    ] {
        match parse(sql) {
            Err(e) => assert_eq!(e.sqlstate(), "42601", "{sql}: {e}"),
            Ok(s) => panic!("{sql} parsed: {s:?}"),
        }
    }
    let wrong_arity = only("SELECT * FROM t FOR SYSTEM_TIME CONTAINED IN (@SEQ:2)");
    assert!(
        matches!(wrong_arity, Err(ParseError::Syntax(_))),
        "{wrong_arity:?}"
    );
}

#[test]
fn marker_names_are_reserved() {
    let e = parse("SELECT __drift_all() FROM t").err();
    assert!(matches!(e, Some(ParseError::Syntax(m)) if m.contains("reserved")));
    // Other dialects' version clauses are refused, not misread.
    assert!(matches!(
        only("SELECT * FROM t VERSION AS OF 2"),
        Err(ParseError::Unsupported(_))
    ));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let sql = format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(parse(&sql).err().map(|e| e.sqlstate()), Some("54001"));
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_never_panics(sql in "\\PC{0,80}") {
        let _ = parse(&sql);
    }

    #[test]
    fn arbitrary_clause_soup_never_panics(
        words in proptest::collection::vec(
            proptest::sample::select(vec!["FOR", "SYSTEM_TIME", "AS", "OF", "ALL", "FROM", "TO",
                "BETWEEN", "AND", "CONTAINED", "IN", "(", ")", ",", "@SEQ:1", "@", "SEQ", ":",
                "1", "t", "TRANSACTION", "SYSTEM", "TIME", "SELECT", "*", "'x'"]),
            0..14),
    ) {
        let _ = parse(&format!("SELECT * FROM t {}", words.join(" ")));
    }
}

#[test]
fn restore_and_undrop_parse() -> Result<(), ParseError> {
    let stmts = parse("RESTORE TABLE s.t TO @SEQ:4; undrop table t; SELECT 1")?;
    assert_eq!(stmts.len(), 3);
    let Stmt::Restore { table, point } = &stmts[0] else {
        panic!("{:?}", stmts[0]);
    };
    assert_eq!(table.to_string(), "s.t");
    assert!(matches!(point.as_ref(), Point::Seq(n) if n.to_string() == "4"));
    assert!(matches!(&stmts[1], Stmt::Undrop { table } if table.to_string() == "t"));
    let by_time = parse("RESTORE TABLE t TO '2024-01-01'")?;
    assert!(
        matches!(by_time.as_slice(), [Stmt::Restore { point, .. }] if matches!(point.as_ref(), Point::Time(_)))
    );
    for bad in [
        "RESTORE TABLE t",
        "RESTORE t TO @SEQ:1",
        "UNDROP TABLE t extra",
        "RESTORE TABLE t TO @SEQ:1 junk",
    ] {
        assert_eq!(
            parse(bad).err().map(|e| e.sqlstate()),
            Some("42601"),
            "{bad}"
        );
    }
    Ok(())
}
