//! Coverage-guided fuzzing of ngx_read_channel with a hostile peer
//! (fuzz/hostile.rs).  Built and run by `make fuzz` (scripts/fuzz.sh).
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../hostile.rs");

fuzz_target!(|data: &[u8]| run(data));
