//! Feeds arbitrary bytes to the log's frame decoder. It must never panic, and
//! every frame it accepts must re-encode to exactly the bytes it read.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((record, len)) = driftdb_storage::decode_frame(data) {
        assert!(len <= data.len(), "decoded length {len} past the input");
        let mut buf = Vec::new();
        if let Err(e) = driftdb_storage::encode_commit(&record, &mut buf) {
            panic!("a decoded record failed to re-encode: {e}");
        }
        assert_eq!(buf.as_slice(), &data[..len], "re-encoded frame differs");
    }
});
