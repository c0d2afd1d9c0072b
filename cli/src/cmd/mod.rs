//! One module per subcommand: its arguments and what it runs.

pub mod build;
pub mod demo;
pub mod diff;
pub mod generate;
pub mod info;
pub mod lookup;
pub mod shell;
