//! Personal data in test messages: the CPR numbers the tests feed to every
//! error path, and the check that a text shows none of them.

/// CPR numbers for the tests, valid and invalid, in both spellings.
pub const CPRS: [&str; 6] = [
    "0101901234",
    "3102901234",
    "0202904321",
    "1111111118",
    "0101001234",
    "6101901234",
];

/// Fails if `text` (named `what`) holds one of [`CPRS`], in either spelling.
pub fn assert_no_cpr(what: &str, text: &str) {
    for cpr in CPRS {
        let dashed = format!("{}-{}", &cpr[..6], &cpr[6..]);
        assert!(
            !text.contains(cpr) && !text.contains(&dashed),
            "{what} shows {cpr}:\n{text}"
        );
    }
}
