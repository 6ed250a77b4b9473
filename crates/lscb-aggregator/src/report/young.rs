//! The young people's edition (`--edition young-people`): a short summary of the annual
//! report in plain English for children, young people and families — who the board is, what
//! it did, what got better, what did not, and what it will do next. It is written from the
//! same report model as the full report, so every figure is the same figure, formatted the
//! same way. Sentences are short and words are everyday ones; `readability` measures it.

use super::doc::{Node, place};
use super::format;
use super::model::*;

/// At most this many figures in each of "what got better" and "what did not".
const MOST: usize = 6;

/// The figures of the year that have a value, each once (a figure can appear in several
/// sections of the full report).
fn figures(r: &Report) -> Vec<&Figure> {
    let mut seen = std::collections::HashSet::new();
    r.all_figures()
        .into_iter()
        .filter(|f| f.value.is_some() && seen.insert(f.code.clone()))
        .collect()
}

/// "Care leavers in suitable accommodation: 98% this year, up from 94% last year."
fn compared(f: &Figure) -> Option<String> {
    let (v, p) = (f.value?, f.previous?);
    let word = if v > p {
        "up from"
    } else if v < p {
        "down from"
    } else {
        "the same as"
    };
    Some(format!(
        "{}: {} this year, {word} {} last year.",
        f.name,
        format::value(v, f.unit),
        format::value(p, f.unit)
    ))
}

/// "Children in care: 1,807." for a figure to show as a plain number.
fn plain(f: &Figure) -> Option<String> {
    Some(format!("{}: {}.", f.name, format::value(f.value?, f.unit)))
}

fn what_we_did(r: &Report) -> Vec<String> {
    let mut out = vec![];
    if let Some(t) = r.part3.training.data() {
        out.push(format!(
            "We ran {} training courses. People took {} places on them.",
            format::count(t.courses.into()),
            format::count(t.attended.into())
        ));
    }
    if let Some(a) = r.part2.audits.data().filter(|a| !a.is_empty()) {
        let cases: u32 = a.iter().map(|a| a.cases).sum();
        out.push(format!(
            "We checked the work done with children. We looked closely at {} case files in {} checks.",
            format::count(cases.into()),
            format::count(a.len() as i64)
        ));
    }
    if let Some(s) = r.part2.section11.data() {
        out.push(format!(
            "We asked {} partners to tell us how well they keep children safe. {} of them told us.",
            s.expected, s.returned
        ));
    }
    if let Some(l) = r.part3.learning_reviews.data().filter(|l| !l.is_empty()) {
        out.push(format!(
            "We looked at {} cases where things went wrong, to learn from them.",
            l.len()
        ));
    }
    if let Some(s) = r.part3.surveys.data().and_then(|s| s.first()) {
        out.push(format!(
            "We asked staff what they think. {} people from {} groups answered.",
            format::count(s.respondents.into()),
            s.organisations
        ));
    }
    out
}

fn better_and_worse(r: &Report) -> (Vec<String>, Vec<String>) {
    let figs = figures(r);
    let pick = |want: Travel, rag: Rag| -> Vec<String> {
        let mut chosen: Vec<&Figure> = figs.iter().copied().filter(|f| f.travel == want).collect();
        // With few changes to report, a figure that met (or missed) its target says the same.
        for f in figs
            .iter()
            .filter(|f| f.rag == Some(rag) && f.travel != want)
        {
            if chosen.len() >= MOST {
                break;
            }
            if f.travel == Travel::NotApplicable || f.travel == Travel::NoChange {
                chosen.push(f);
            }
        }
        chosen
            .into_iter()
            .take(MOST)
            .filter_map(|f| {
                let target = match (f.rag, f.target) {
                    (Some(Rag::Green), Some(t)) => {
                        format!(" We aimed for {} and got there.", format::value(t, f.unit))
                    }
                    (Some(Rag::Red | Rag::Amber), Some(t)) => {
                        format!(" We aimed for {}.", format::value(t, f.unit))
                    }
                    _ => String::new(),
                };
                compared(f).or_else(|| plain(f)).map(|s| s + &target)
            })
            .collect()
    };
    let mut worse = pick(Travel::Worsening, Rag::Red);
    if let Some(a) = r.part2.audits.data() {
        let cases: u32 = a.iter().map(|a| a.cases).sum();
        let needing: u32 = a.iter().map(|a| a.requiring_improvement).sum();
        if cases > 0 && needing > 0 {
            worse.push(format!(
                "In the case files we checked, the work in {} of {} needed to be better.",
                format::count(needing.into()),
                format::count(cases.into())
            ));
        }
    }
    (pick(Travel::Improving, Rag::Green), worse)
}

fn next_steps(r: &Report) -> Vec<String> {
    let mut out = vec![];
    if let Some(plan) = r.part3.business_plan.data() {
        let open: Vec<&ActionItem> = plan.iter().filter(|a| a.status != "completed").collect();
        let done = plan.len() - open.len();
        out.push(format!(
            "Our plan for the year had {} things to do. We finished {}.",
            plan.len(),
            done
        ));
        if !open.is_empty() {
            out.push(format!(
                "We will finish the other {} next year. They include:",
                open.len()
            ));
            out.extend(open.iter().take(4).map(|a| format!("{}.", a.title)));
        }
    }
    if let Some(reviews) = r.part3.learning_reviews.data() {
        let open: u32 = reviews.iter().map(|l| l.actions_open).sum();
        if open > 0 {
            out.push(format!(
                "We will finish the {open} jobs still open from the cases where things went wrong."
            ));
        }
    }
    if let Some(f) = r.part3.finance.data()
        && let Some(change) = f.next_year.first()
    {
        out.push(format!(
            "Next year we will have {} less money. We will use it where it helps children most.",
            format::money(change.pence.abs())
        ));
    }
    out
}

/// The young people's edition as a document tree (rendered like the full report).
pub fn build(r: &Report) -> Vec<Node> {
    let la = place(&r.partnership.local_authority);
    let mut n = vec![
        Node::Cover {
            title: format!(
                "Keeping children safe in {la}: our year {} – a short guide for children, young people and families",
                r.year_label
            ),
            assembled_at: r.generated_at.clone(),
        },
        Node::Contents(vec![
            "Who we are".into(),
            "What we did".into(),
            "What got better".into(),
            "What did not get better".into(),
            "What we will do next".into(),
            "If you are worried".into(),
        ]),
        Node::Heading(2, "Who we are".into()),
        Node::Markdown(format!(
            "We are the {}. We are a group of people from the council, the police, the NHS, \
             schools and local groups in {la}. We work together to keep children safe.\n\n\
             Each year we write a report to say how well we did. This is the short version. \
             It uses the same numbers as the full report, for the year from April {} to March {}.",
            r.partnership.name,
            r.year.get(..4).unwrap_or(&r.year),
            r.year
                .get(..4)
                .and_then(|y| y.parse::<i32>().ok())
                .map_or(String::new(), |y| (y + 1).to_string())
        )),
    ];
    if !r.complete {
        n.push(Node::Notice(format!(
            "Some of our numbers were missing when we wrote this: {} did not answer.",
            r.failed_sources().join(", ")
        )));
    }
    n.push(Node::Heading(2, "What we did".into()));
    n.push(Node::List(what_we_did(r)));
    let (better, worse) = better_and_worse(r);
    n.push(Node::Heading(2, "What got better".into()));
    n.push(if better.is_empty() {
        Node::Markdown("We do not have numbers that show something got better this year.".into())
    } else {
        Node::List(better)
    });
    n.push(Node::Heading(2, "What did not get better".into()));
    n.push(if worse.is_empty() {
        Node::Markdown("We do not have numbers that show something got worse this year.".into())
    } else {
        Node::List(worse)
    });
    n.push(Node::Heading(2, "What we will do next".into()));
    n.push(Node::List(next_steps(r)));
    n.push(Node::Heading(2, "If you are worried".into()));
    n.push(Node::Markdown(format!(
        "If you are worried about a child, or about yourself, tell an adult you trust. \
         You can call Childline on 0800 1111. It is free. In an emergency, call 999.\n\n\
         The full report for {} has every number and where it came from. The board can give you a copy.",
        r.year_label
    )));
    n
}
