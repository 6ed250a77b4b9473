//! The board's numbered challenges for the year ahead (`challenges.csv`) and next year's
//! priorities with their pledges, "By 2017 we will know that …" (`pledges.csv`), stored
//! through the aggregator's AnalysisService. A challenge or pledge already stored with the
//! same number and text is left alone, so rerunning the seed changes nothing.

use std::path::Path;

use anyhow::Context as _;
use lscb_proto::common::v1::Decimal;
use lscb_proto::report::v1 as rp;

use super::{SeedReport, fail, p, parse_all, read};
use crate::csvio::{RowError, sha256_hex};
use crate::seed_clients::Clients;

/// A stable idempotency key for one record of the seed: its kind, year, number and text.
fn key(kind: &str, year: &str, number: u32, text: &str) -> String {
    let h = sha256_hex(text.as_bytes());
    format!("seed-{kind}-{year}-{number}-{}", &h[..16])
}

/// `CODE=expectation` pairs: `increase`, `decrease`, or `at_least:N` / `at_most:N`.
fn targets(pairs: Vec<(String, String)>) -> Result<Vec<rp::PledgeTarget>, String> {
    pairs
        .into_iter()
        .map(|(code, exp)| {
            let (expectation, target) = match exp.split_once(':') {
                Some((e, n)) => (e.to_string(), Some(Decimal { value: n.into() })),
                None => (exp.clone(), None),
            };
            match (expectation.as_str(), &target) {
                ("increase" | "decrease", None) | ("at_least" | "at_most", Some(_)) => {
                    Ok(rp::PledgeTarget {
                        indicator_code: code,
                        expectation,
                        target,
                    })
                }
                _ => Err(format!(
                    "'{code}={exp}': write increase, decrease, at_least:N or at_most:N"
                )),
            }
        })
        .collect()
}

pub(super) async fn seed_plan(
    clients: &Clients,
    dir: &Path,
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let mut an = clients.analysis.clone();

    let file = read(dir, "challenges.csv")?;
    let rows = parse_all(&file, |row, errs| {
        (
            row.period("year", errs),
            row.uint("number", errs),
            row.req("text", errs),
        )
    })?;
    for (_, (year, number, text)) in &rows {
        let stored = an
            .list_challenges(rp::ListChallengesRequest { year: p(year) })
            .await
            .context("challenges")?
            .into_inner()
            .challenges;
        if stored
            .iter()
            .any(|c| c.number == *number && c.text == *text)
        {
            continue;
        }
        an.add_challenge(rp::AddChallengeRequest {
            year: p(year),
            number: *number,
            text: text.clone(),
            evidence_ids: vec![],
            idempotency_key: key("challenge", year, *number, text),
        })
        .await
        .with_context(|| format!("{}: challenge {number} of {year}", file.name))?;
    }
    report.add("challenges", rows.len());

    let file = read(dir, "pledges.csv")?;
    let mut errors: Vec<RowError> = Vec::new();
    let rows = parse_all(&file, |row, errs| {
        let pairs = row.pairs("targets", errs);
        let ts = targets(pairs).unwrap_or_else(|e| {
            errs.push(row.err("targets", e));
            vec![]
        });
        (
            row.period("plan_year", errs),
            row.req("priority", errs),
            row.uint("number", errs),
            row.req("text", errs),
            ts,
        )
    })?;
    for (line, (year, priority, number, text, ts)) in &rows {
        let stored = an
            .list_pledges(rp::ListPledgesRequest { plan_year: p(year) })
            .await
            .context("pledges")?
            .into_inner()
            .pledges;
        if stored
            .iter()
            .any(|x| x.priority == *priority && x.number == *number && x.text == *text)
        {
            continue;
        }
        if let Err(e) = an
            .add_pledge(rp::AddPledgeRequest {
                plan_year: p(year),
                priority: priority.clone(),
                number: *number,
                text: text.clone(),
                targets: ts.clone(),
                idempotency_key: key("pledge", year, *number, &format!("{priority}\n{text}")),
            })
            .await
        {
            errors.push(RowError {
                line: *line,
                field: "pledge".into(),
                message: format!("{}: {}", e.code(), e.message()),
            });
        }
    }
    if !errors.is_empty() {
        return Err(fail(&file.name, errors));
    }
    report.add("pledges", rows.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_each_expectation_and_refuse_others() {
        let t = targets(vec![
            ("A".into(), "increase".into()),
            ("B".into(), "at_most:25".into()),
        ])
        .unwrap();
        assert_eq!(t[0].expectation, "increase");
        assert_eq!(t[1].target.as_ref().unwrap().value, "25");
        assert!(targets(vec![("A".into(), "at_least".into())]).is_err());
        assert!(targets(vec![("A".into(), "more".into())]).is_err());
    }

    #[test]
    fn keys_change_with_the_text() {
        assert_ne!(key("c", "2015-16", 1, "a"), key("c", "2015-16", 1, "b"));
        assert_eq!(key("c", "2015-16", 1, "a"), key("c", "2015-16", 1, "a"));
    }
}
