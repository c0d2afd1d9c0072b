//! Recipient parsing: never panics, round-trips, never leaks a full number
//! through masking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tilmelding::fuzzing::mask_input;
use tilmelding::{Recipient, RecipientKind};

fuzz_target!(|input: (&str, u64)| {
    let (text, number) = input;
    if let Ok(r) = text.parse::<Recipient>() {
        assert_eq!(r.to_string().parse::<Recipient>(), Ok(r));
        assert_eq!(Recipient::from_key(r.kind(), r.key()), Some(r));
    }
    let masked = mask_input(text);
    assert!(
        masked.chars().filter(|c| c.is_numeric()).count() <= 6,
        "{masked:?}"
    );
    for kind in RecipientKind::ALL {
        if let Ok(r) = Recipient::from_number(kind, number) {
            assert_eq!(r.kind(), kind);
            assert_eq!(r.to_string().parse::<Recipient>(), Ok(r));
            assert!(!format!("{r:?}").contains(&r.to_string()) || kind == RecipientKind::Cvr);
        }
    }
});
