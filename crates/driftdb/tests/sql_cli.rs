//! `driftdb sql -e`, `-f` and SQL piped to stdin as a user runs them: psql-style output, SQLSTATE
//! on errors, a non-zero exit when a statement failed.

use std::io::Write;
use std::process::{Command, Stdio};

fn driftdb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_driftdb"))
}

#[test]
fn runs_sql_and_reads_the_past() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let out = driftdb()
        .args(["sql", "--data-dir"])
        .arg(dir.path())
        .args([
            "-e",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); \
             INSERT INTO t VALUES (1, 'ann'); UPDATE t SET name = 'bea' WHERE id = 1; \
             SELECT name FROM t FOR SYSTEM_TIME AS OF @SEQ:2",
        ])
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.ends_with(" name \n------\n ann\n(1 row)\n\n"),
        "{stdout}"
    );
    // The data stays: a second run sees the present.
    let out = driftdb()
        .args(["sql", "--data-dir"])
        .arg(dir.path())
        .args(["-e", "SELECT name FROM t"])
        .output()?;
    assert!(String::from_utf8_lossy(&out.stdout).contains(" bea\n(1 row)"));
    Ok(())
}

#[test]
fn a_failed_statement_gives_its_sqlstate_and_a_nonzero_exit()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("script.sql");
    std::fs::write(&script, "SELECT * FROM missing;\nSELECT 1 + 1 AS two;\n")?;
    let out = driftdb()
        .args(["sql", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("-f")
        .arg(&script)
        .output()?;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("ERROR:  42P01: relation \"missing\" does not exist")
    );
    // Like psql, the script goes on after the failed statement.
    assert!(String::from_utf8_lossy(&out.stdout).contains(" two \n-----\n   2\n(1 row)"));
    let bad = driftdb()
        .args(["sql", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["-e", "SELEC 1"])
        .output()?;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("42601"));
    Ok(())
}

#[test]
fn sql_piped_to_stdin_runs_as_a_script_without_a_prompt() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = tempfile::tempdir()?;
    let mut child = driftdb()
        .args(["sql", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    stdin.write_all(
        b"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n\
          INSERT INTO t VALUES (1, 'a;b'),\n  (2, 'c');\n\
          SELECT v FROM t ORDER BY id;\n",
    )?;
    drop(stdin);
    let out = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "CREATE TABLE\nINSERT 0 2\n  v  \n-----\n a;b\n c\n(2 rows)\n\n"
    );
    assert!(!stdout.contains("driftdb=>"));
    Ok(())
}
