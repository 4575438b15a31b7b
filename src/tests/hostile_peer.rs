//! The fuzz target's hostile peer (fuzz/hostile.rs) as a property test:
//! any bytes make a scenario, and every scenario must keep the contract.

#[path = "../../fuzz/hostile.rs"]
mod hostile;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_hostile_peer_keeps_the_contract(data in proptest::collection::vec(any::<u8>(), 0..80)) {
        hostile::run(&data);
    }
}

#[test]
fn the_committed_seed_corpus_keeps_the_contract() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/read_channel");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("seed corpus") {
        let data = std::fs::read(entry.expect("entry").path()).expect("seed");
        hostile::run(&data);
        n += 1;
    }
    assert!(n >= 10, "{n} seeds");
}
