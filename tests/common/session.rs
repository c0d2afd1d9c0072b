//! Drives a check program that answers one command per line on stdin with
//! one line on stdout, and the scenario the C# and Java `ReaderCheck`
//! programs both play: following an index path that is replaced by rename.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{fixture_index, next_index};

/// A check program that answers one command per line on stdin with one line
/// on stdout.
struct Session {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Session {
    fn start(mut command: Command) -> Session {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the check program");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Session {
            child,
            stdin,
            lines,
        }
    }

    /// Sends `command`; returns the program's one-line answer.
    fn ask(&mut self, command: &str) -> String {
        let sent = writeln!(self.stdin, "{command}").and_then(|()| self.stdin.flush());
        match (sent, self.lines.recv_timeout(Duration::from_secs(30))) {
            (Ok(()), Ok(line)) => line,
            _ => self.fail(&format!("no answer to {command:?}")),
        }
    }

    /// Sends `command` until its answer satisfies `done`, for up to 10 s.
    fn ask_until(&mut self, command: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answer = self.ask(command);
            if done(&answer) {
                return answer;
            }
            if Instant::now() > deadline {
                self.fail(&format!("{command:?} still answers {answer:?} after 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn fail(&mut self, problem: &str) -> ! {
        let _ = self.child.kill();
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        panic!("{problem}; the program's stderr:\n{stderr}");
    }

    fn quit(mut self) {
        let _ = writeln!(self.stdin, "quit");
        drop(self.stdin);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "the check program exited with {status}");
    }
}

/// What a service does with an index path that is replaced daily: follow it
/// with a reader, refresh by hand and in the background, survive a missing
/// file, refuse a stale list, pin a snapshot for the audit log. `program`
/// runs the language's `ReaderCheck`; its exceptions for a bad argument and
/// for a closed reader (`bad_argument`, `closed`) differ by language.
pub fn follow_a_replaced_index(program: Command, bad_argument: &str, closed: &str) {
    let mut s = Session::start(program);
    let (dir, fixture) = fixture_index();
    let live = dir.path().join("løbende.tlm");
    std::fs::copy(&fixture, &live).unwrap();
    let next = next_index(dir.path());
    let live_text = live.to_str().unwrap();
    let bad_argument = format!("exception {bad_argument}: ");
    let ask = |s: &mut Session, command: &str, expected: &str| {
        assert_eq!(s.ask(command), expected, "answer to {command:?}");
    };
    let ask_error = |s: &mut Session, command: &str, prefix: &str, naming: &str| {
        let answer = s.ask(command);
        assert!(
            answer.starts_with(prefix) && answer.contains(naming),
            "answer to {command:?} should start with {prefix:?} and name {naming:?}: {answer:?}"
        );
    };

    let missing = dir.path().join("mangler.tlm");
    ask_error(
        &mut s,
        &format!("open {}", missing.display()),
        "error io: ",
        missing.to_str().unwrap(),
    );
    ask(&mut s, &format!("open {live_text}"), "ok");
    ask(&mut s, "lookup", "digital registered");
    ask(&mut s, "batch", "digital registered, physical exempt");
    ask(&mut s, "refresh", "false");
    let first = s.ask("pin");
    assert_eq!(first.len(), 64, "a snapshot id: {first:?}");

    // Replaced by rename: the reader answers from the old file until it refreshes.
    std::fs::rename(&next, &live).unwrap();
    ask(&mut s, "lookup", "digital registered");
    ask(&mut s, "refresh", "true");
    ask(&mut s, "refresh", "false");
    ask(&mut s, "lookup", "physical closed");
    ask(&mut s, "batch", "physical closed, physical not_registered");
    ask(&mut s, "current-lookup", "physical closed");
    let second = s.ask("current");
    assert!(second.len() == 64 && second != first, "{first} -> {second}");
    // The pinned index keeps its snapshot.
    ask(&mut s, "pinned", "digital registered");

    // A maximum age: the new list is as of 2001.
    ask(&mut s, "max-age 1", "ok");
    ask_error(&mut s, "lookup", "error stale_index: ", "");
    ask_error(&mut s, "batch", "error stale_index: ", "");
    ask_error(&mut s, "current-lookup", "error stale_index: ", "");
    ask(&mut s, "pinned", "digital registered");
    ask(&mut s, "max-age off", "ok");
    ask(&mut s, "lookup", "physical closed");
    // Set on an index from Current(), it holds for the reader on that snapshot too.
    ask(&mut s, "index-max-age 0.5", "ok");
    ask_error(&mut s, "lookup", "error stale_index: ", "");
    ask(&mut s, "max-age 0", "ok");
    ask(&mut s, "lookup", "physical closed");
    ask_error(&mut s, "max-age -1", &bad_argument, "");

    // A failed refresh says why, naming the path, and the index keeps serving.
    std::fs::remove_file(&live).unwrap();
    ask_error(&mut s, "refresh", "error io: ", live_text);
    ask(&mut s, "lookup", "physical closed");
    ask(&mut s, "error", "none");

    // In the background: failures are kept for RefreshError; a file renamed in is picked up.
    ask_error(&mut s, "every 0", &bad_argument, "");
    ask(&mut s, "every 50", "ok");
    let error = s.ask_until("error", |a| a != "none");
    assert!(
        error.starts_with("some ") && error.contains(live_text),
        "{error:?}"
    );
    ask(&mut s, "lookup", "physical closed");
    let again = dir.path().join("again.tlm");
    std::fs::copy(&fixture, &again).unwrap();
    std::fs::rename(&again, &live).unwrap();
    let picked_up = Instant::now();
    s.ask_until("lookup", |a| a == "digital registered");
    assert!(
        picked_up.elapsed() < Duration::from_secs(5),
        "took {:?}",
        picked_up.elapsed()
    );
    s.ask_until("error", |a| a == "none");
    ask(&mut s, "current", &first);

    // Closing: idempotent, later calls throw; the pinned index outlives the reader.
    ask(&mut s, "close", &format!("closed {closed}"));
    ask(&mut s, "pinned", "digital registered");
    // A reader dropped without closing is closed after GC: its refresh thread stops.
    let threads = s.ask(&format!("unreferenced {live_text}"));
    let counts: Vec<u32> = threads
        .split(' ')
        .map(|n| n.parse().unwrap_or_else(|_| panic!("{threads:?}")))
        .collect();
    assert!(
        counts.len() == 3 && counts[1] == counts[0] + 3 && counts[2] == counts[0],
        "refresh threads before, with 3 unreferenced readers, after GC: {threads:?}"
    );
    s.quit();
}
