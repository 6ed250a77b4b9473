//! Part 4 as Markdown blocks in the reference report's order: answers to the key questions
//! with their evidence, the sufficiency statement, challenges, last year's challenges and
//! pledges reviewed, next year's pledges, and narrative checks.

use super::domain::{Judgement, Part4, PledgeOutcome, Stance};
use super::rules::Yardstick;

fn judgement_label(j: Judgement) -> String {
    let w = j.words();
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn short_yardstick(y: Yardstick) -> &'static str {
    match y {
        Yardstick::WorkingTogether => "Working Together",
        Yardstick::OfstedReview => "Ofsted review",
        Yardstick::Both => "Working Together; Ofsted review",
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

/// The blocks, each a piece of Markdown.
pub fn markdown_blocks(p: &Part4) -> Vec<String> {
    let mut out = vec![];
    out.push("### Answers to the key questions".to_string());
    for a in &p.answers {
        let mut s = format!("#### {}\n\n**{}**", a.title, judgement_label(a.judgement));
        if let Some(o) = &a.override_ {
            s.push_str(&format!(
                " — overridden by the board on {} ({}); the rules derived *{}*. Rationale: {}",
                o.decided_on,
                o.author,
                a.derived.words(),
                o.rationale
            ));
        }
        s.push_str("\n\n");
        s.push_str(&a.summary);
        if !a.evidence.is_empty() {
            s.push_str("\n\nEvidence:\n");
            for e in &a.evidence {
                s.push_str(&format!(
                    "\n- {} {} ({}; source {}; evidence `{}`)",
                    match e.stance {
                        Stance::For => "**For:**",
                        Stance::Against => "**Against:**",
                    },
                    e.reason,
                    short_yardstick(e.yardstick),
                    e.source.label(),
                    e.id
                ));
            }
        }
        out.push(s);
    }
    out.push(format!(
        "### Summary, conclusions and sufficiency statement\n\n{}",
        p.statement
    ));
    if !p.challenges.is_empty() {
        let mut s = "### Challenges for the year ahead\n".to_string();
        for c in &p.challenges {
            s.push_str(&format!("\n**Challenge {}:** {}", c.number, c.text));
            if !c.evidence_ids.is_empty() {
                s.push_str(&format!(
                    " _(prompted by: {})_",
                    c.evidence_ids
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            s.push('\n');
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
    if !p.narrative_checks.is_empty() {
        let mut s =
            "### Narrative checks\n\nFigures typed in the narrative that contradict the data:\n"
                .to_string();
        for c in &p.narrative_checks {
            s.push_str(&format!(
                "\n- {}: \"{}\" — typed {}, the data says {} (source {})",
                c.section,
                c.text,
                c.typed,
                c.stored,
                c.source.label()
            ));
        }
        out.push(s);
    }
    out.push(format!(
        "_Judged by the sufficiency rules version {}; see docs/sufficiency.md._",
        p.rules_version
    ));
    out
}

/// Part 4 as one Markdown document.
pub fn markdown(p: &Part4) -> String {
    markdown_blocks(p).join("\n\n")
}
