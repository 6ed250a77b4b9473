//! `lscbctl`: run the lscb stack locally, issue tokens, and (as the product grows) import
//! CSV files, seed the reference dataset and write reports through the gRPC API.

mod client;
mod report;
mod seed_cmd;
mod token;
mod up;

use clap::{Parser, Subcommand};

/// lscb: the software a multi-agency safeguarding children partnership runs on.
#[derive(Debug, Parser)]
#[command(name = "lscbctl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run all five services in one process on SQLite (aggregator 50050, indicators 50051,
    /// audits 50052, training 50053, finance 50054) until Ctrl-C.
    Up(up::UpArgs),
    /// Issue signed bearer tokens.
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
    /// Write the annual report of a year (assembled now, or a published version) as HTML,
    /// Markdown, JSON or PDF; see docs/reports.md.
    Report(report::ReportArgs),
    /// Load a CSV file (indicators, observations, case reviews, training attendance, finance)
    /// through the gRPC API; see docs/import.md.
    Import {
        #[command(flatten)]
        client: client::ClientArgs,
        #[command(flatten)]
        args: lscb_cli::import::ImportArgs,
    },
    /// Load the reference dataset (or only the default indicator catalogue) into a running stack.
    Seed {
        #[command(flatten)]
        client: client::ClientArgs,
        #[command(flatten)]
        args: lscb_cli::seed::SeedArgs,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Up(args) => up::run(args).await,
        Command::Token { command } => token::run(command),
        Command::Report(args) => report::run(args).await,
        Command::Import { client, args } => seed_cmd::import(client, args).await,
        Command::Seed { client, args } => seed_cmd::seed(client, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
