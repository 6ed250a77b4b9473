//! The `import` and `seed` subcommands of the binary: token and endpoints from `ClientArgs`,
//! the work in the library (`lscb_cli::import`, `lscb_cli::seed`).

use lscb_cli::seed_clients::{Clients, Target};

use crate::client::ClientArgs;

fn target(c: &ClientArgs) -> Target {
    Target {
        token: c.token.clone(),
        aggregator_url: c.aggregator_url.clone(),
        indicators_url: c.indicators_url.clone(),
        audits_url: c.audits_url.clone(),
        training_url: c.training_url.clone(),
        finance_url: c.finance_url.clone(),
    }
}

pub(crate) async fn import(
    client: ClientArgs,
    args: lscb_cli::import::ImportArgs,
) -> anyhow::Result<()> {
    let clients = Clients::connect(&target(&client)).await?;
    let outcome = lscb_cli::import::run(&clients, &args).await?;
    if outcome.replayed {
        println!(
            "{}: nothing new stored: its {} row(s) were stored by an earlier import of the same file",
            args.file.display(),
            outcome.stored
        );
        return Ok(());
    }
    println!(
        "{}: {} row(s) stored{}",
        args.file.display(),
        outcome.stored,
        if outcome.errors.is_empty() {
            String::new()
        } else {
            format!(", {} bad row field(s) skipped", outcome.errors.len())
        }
    );
    Ok(())
}

pub(crate) async fn seed(client: ClientArgs, args: lscb_cli::seed::SeedArgs) -> anyhow::Result<()> {
    let clients = Clients::connect(&target(&client)).await?;
    let report = lscb_cli::seed::run(&clients, &args).await?;
    for (what, n) in &report.lines {
        println!("  {what:<32} {n}");
    }
    println!(
        "seeded from {}",
        if args.catalogue_only {
            args.catalogue.display()
        } else {
            args.data_dir.display()
        }
    );
    Ok(())
}
