//! Arbitrary bytes as a contact extract: every line is read or rejected
//! with a message, never a panic, and no message shows a long digit run
//! (a CPR number).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tilmelding::ContactReader;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) =
        ContactReader::from_reader(std::io::Cursor::new(data.to_vec()), "fuzz.csv")
    else {
        return;
    };
    while let Some(next) = reader.next_record() {
        match next {
            Ok(Ok(_)) => {}
            Ok(Err(line_error)) => {
                let message = &line_error.message;
                let mut run = 0;
                for c in message.chars() {
                    run = if c.is_ascii_digit() { run + 1 } else { 0 };
                    assert!(run < 7, "a long number in {message:?}");
                }
            }
            Err(_) => break,
        }
    }
});
