//! `driftdb verify` as an operator runs it: exit status and the place of damage.

use std::process::Command;

use driftdb_storage::{Commit, Options, Storage, StorageError, Write};

fn driftdb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_driftdb"))
}

fn fill(dir: &std::path::Path, commits: u8) -> Result<(), StorageError> {
    let s = Storage::open(dir, Options::default())?;
    for i in 0..commits {
        s.commit(Commit {
            writes: vec![Write::Put {
                keyspace: 1,
                key: vec![i],
                value: vec![i; 64],
            }],
            synchronous: true,
            ..Commit::default()
        })?;
    }
    Ok(())
}

#[test]
fn clean_directory_exits_zero() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    fill(dir.path(), 5)?;
    let out = driftdb()
        .arg("verify")
        .arg("--data-dir")
        .arg(dir.path())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("seqs 1..=5"), "{stdout}");
    Ok(())
}

#[test]
fn damage_exits_nonzero_naming_file_and_offset() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    fill(dir.path(), 5)?;
    let segment = dir.path().join("log").join(format!("{:020}.log", 1));
    let mut bytes = std::fs::read(&segment)?;
    // The segment header is 32 bytes; each frame here is well over 64 bytes,
    // so byte 40 is inside the first frame's payload.
    bytes[40] ^= 0x01;
    std::fs::write(&segment, &bytes)?;
    let out = driftdb()
        .arg("verify")
        .arg("--data-dir")
        .arg(dir.path())
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&segment.display().to_string()), "{stderr}");
    assert!(stderr.contains("byte offset 32"), "{stderr}");
    Ok(())
}

#[test]
fn missing_directory_is_an_error() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let out = driftdb()
        .arg("verify")
        .arg("--data-dir")
        .arg(dir.path().join("nope"))
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such data directory"));
    Ok(())
}
