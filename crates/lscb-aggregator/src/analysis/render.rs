//! Part 4 as Markdown blocks in the reference report's order: each key question with its
//! judgement, a plain-English paragraph and the evidence as a table; the sufficiency
//! statement; challenges, last year's challenges and pledges reviewed, next year's pledges;
//! the narrative checks; and an evidence appendix holding the record and rule ids, linked
//! from the tables by anchor.

use super::domain::{Evidence, Judgement, Part4, PledgeOutcome, Stance};
use super::narrative::Verdict;
use crate::report::layout::Anchors;

fn judgement_label(j: Judgement) -> String {
    let w = j.words();
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// "2016-17" → "2017".
fn end_year(plan_year: &str) -> String {
    match plan_year.split_once('-') {
        Some((start, _)) => start
            .parse::<i32>()
            .map(|y| (y + 1).to_string())
            .unwrap_or_else(|_| plan_year.to_string()),
        None => plan_year.to_string(),
    }
}

/// Text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn stance_word(s: Stance) -> &'static str {
    match s {
        Stance::For => "For",
        Stance::Against => "Against",
    }
}

/// The heading of a question's part of the evidence appendix.
fn appendix_heading(title: &str) -> String {
    format!("Evidence records: {title}")
}

/// The anchor of that heading, as the report's renderers make it from the heading text.
fn appendix_anchor(title: &str) -> String {
    Anchors::default().id(&appendix_heading(title))
}

const CHECKS_HEADING: &str = "Narrative checks";

/// The blocks, each a piece of Markdown.
pub fn markdown_blocks(p: &Part4) -> Vec<String> {
    let mut out = vec![];
    out.push("### Answers to the key questions".to_string());
    let mut n = 0usize;
    for a in &p.answers {
        let mut s = format!("#### {}\n\n**{}**", a.title, judgement_label(a.judgement));
        if let Some(o) = &a.override_ {
            s.push_str(&format!(
                " — the board's judgement of {}, made on {} ({}); the rules derived *{}*. Rationale: {}",
                a.judgement.words(),
                o.decided_on,
                o.author,
                a.derived.words(),
                o.rationale
            ));
        }
        s.push_str("\n\n");
        s.push_str(&a.summary);
        if !a.evidence.is_empty() {
            let anchor = appendix_anchor(&a.title);
            s.push_str(&format!(
                "\n\n*Evidence bearing on the question: {}*\n\n| Reading | Evidence | Also read | Ref |\n|---|---|---|---|\n",
                cell(&a.title)
            ));
            for e in &a.evidence {
                n += 1;
                let also = e
                    .also
                    .iter()
                    .map(|x| format!("{} ({})", x.reason, stance_word(x.stance).to_lowercase()))
                    .collect::<Vec<_>>()
                    .join("; ");
                s.push_str(&format!(
                    "| {} | {} | {} | [E{n}](#{anchor}) |\n",
                    stance_word(e.stance),
                    cell(&e.reason),
                    cell(&also)
                ));
            }
        }
        out.push(s.trim_end().to_string());
    }
    out.push(format!(
        "### Summary, conclusions and sufficiency statement\n\n{}",
        p.statement
    ));
    push_challenges(p, &mut out);
    push_pledges(p, &mut out);
    push_checks(p, &mut out);
    push_appendix(p, &mut out);
    out.push(format!(
        "_Judged by the board's sufficiency rules, version {}._",
        p.rules_version
    ));
    out
}

fn push_challenges(p: &Part4, out: &mut Vec<String>) {
    if !p.challenges.is_empty() {
        let mut s = "### Challenges for the year ahead\n".to_string();
        for c in &p.challenges {
            s.push_str(&format!("\n**Challenge {}:** {}\n", c.number, c.text));
        }
        out.push(s);
    }
    if !p.challenge_reviews.is_empty() {
        let mut s = "### Progress on last year's challenges\n".to_string();
        for r in &p.challenge_reviews {
            s.push_str(&format!(
                "\n**Challenge {}:** {}\n\n{}\n",
                r.challenge.number, r.challenge.text, r.summary
            ));
        }
        out.push(s);
    }
}

fn push_pledges(p: &Part4, out: &mut Vec<String>) {
    if !p.pledges_evaluated.is_empty() {
        let mut s = format!(
            "### Last year's pledges: by {} we said we would know that …\n",
            end_year(&p.year)
        );
        for e in &p.pledges_evaluated {
            let outcome = match e.outcome {
                PledgeOutcome::Met => "Met",
                PledgeOutcome::NotMet => "Not met",
                PledgeOutcome::NotMeasurable => "Not measurable",
            };
            s.push_str(&format!(
                "\n- {} {}. {} — **{outcome}**: {}",
                e.pledge.priority, e.pledge.number, e.pledge.text, e.why
            ));
        }
        out.push(s);
    }
    if !p.next_pledges.is_empty() {
        let mut s = "### Next year's priorities and pledges\n".to_string();
        let mut priority = "";
        for pl in &p.next_pledges {
            if pl.priority != priority {
                priority = &pl.priority;
                s.push_str(&format!(
                    "\n**{}**\n\nBy {} we will know that:\n\n",
                    pl.priority,
                    end_year(&pl.plan_year)
                ));
            }
            let linked = if pl.targets.is_empty() {
                String::new()
            } else {
                format!(
                    " _(measured by: {})_",
                    pl.targets
                        .iter()
                        .map(|t| format!("{} {}", t.indicator, t.expectation.describe()))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            s.push_str(&format!("{}. {}{linked}\n", pl.number, pl.text));
        }
        out.push(s);
    }
}

/// The one place contradictions are shown: each with the section it sits in, the sentence,
/// the figure typed, what the data holds and the measure it was compared with.
fn push_checks(p: &Part4, out: &mut Vec<String>) {
    let wrong: Vec<_> = p
        .narrative_checks
        .iter()
        .filter(|c| c.verdict == Verdict::Contradicted)
        .collect();
    if wrong.is_empty() {
        return;
    }
    let mut s = format!(
        "### {CHECKS_HEADING}\n\nFigures typed in the narrative that the data does not bear out. The sentences are printed as written; this is the only place they are marked.\n\n*Figures in the narrative that the data does not bear out*\n\n| Where | Sentence | Typed | The data | Compared with |\n|---|---|---|---|---|\n"
    );
    for c in wrong {
        let anchor = Anchors::default().id(&c.heading);
        s.push_str(&format!(
            "| [{}](#{anchor}) | {} | {} | {} | {} |\n",
            cell(&c.heading),
            cell(&c.text),
            cell(&c.typed),
            cell(&c.stored),
            cell(&c.measure)
        ));
    }
    out.push(s.trim_end().to_string());
}

fn record_row(label: &str, e: &Evidence) -> String {
    format!(
        "| {label} | {} | `{}` | {} | {} | `{}` |\n",
        stance_word(e.stance),
        e.rule,
        cell(&format!("{}/{}", e.source.service, e.source.record)),
        cell(&e.source.period),
        e.id
    )
}

/// The evidence appendix: for each question, each item's rule, source record and id (the
/// id a challenge cites), with the readings listed under it.
fn push_appendix(p: &Part4, out: &mut Vec<String>) {
    if p.evidence.is_empty() {
        return;
    }
    out.push("### Appendix to Part 4: the evidence records".to_string());
    let mut n = 0usize;
    for a in &p.answers {
        if a.evidence.is_empty() {
            continue;
        }
        let mut s = format!(
            "#### {}\n\n*The rule, source record and id of each item*\n\n| Ref | Stance | Rule | Record | Period | Evidence id |\n|---|---|---|---|---|---|\n",
            appendix_heading(&a.title)
        );
        for e in &a.evidence {
            n += 1;
            s.push_str(&record_row(&format!("E{n}"), e));
            for (k, x) in e.also.iter().enumerate() {
                s.push_str(&record_row(&format!("E{n}.{}", k + 1), x));
            }
        }
        out.push(s.trim_end().to_string());
    }
}

/// Part 4 as one Markdown document.
pub fn markdown(p: &Part4) -> String {
    markdown_blocks(p).join("\n\n")
}
