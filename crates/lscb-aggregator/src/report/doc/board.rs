//! The board's own record in the document: the governance register (membership counted
//! from its seats), business plan progress per priority (figure 30 of the reference report)
//! and the child death reviews. Each part is printed only when it is recorded; when the
//! audits service did not answer the section says so.

use super::{Builder, Cell, ChartKind, Node, Table};
use crate::report::format::{self, plural};
use crate::report::model::board::{BodyLine, ChildDeaths, PlanLine, PlanProgress};
use crate::report::model::{Rag, Report, Unit};

fn pct(d: Option<rust_decimal::Decimal>) -> String {
    d.map(format::percent).unwrap_or_else(|| "–".into())
}

/// "1 April 2014" from "2014-04-01" (the text as given when it is not a date).
fn long_date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

fn kind_word(kind: &str) -> &'static str {
    match kind {
        "board" => "Board",
        "executive" => "Executive group",
        "sub_group" => "Sub-group",
        "forum" => "Forum",
        _ => "Group",
    }
}

/// The membership sentence of the main board: "The Board has 53 members from 31 agencies,
/// including 2 lay members; 55% are women and 45% men."
fn membership_sentence(body: &BodyLine) -> String {
    let mut s = format!(
        "The {} has {} from {}",
        body.name,
        plural(body.seats, "member", "members"),
        plural(body.agencies, "agency", "agencies")
    );
    if body.lay_members > 0 {
        s.push_str(&format!(
            ", including {}",
            plural(body.lay_members, "lay member", "lay members")
        ));
    }
    match (body.female_pct, body.male_pct) {
        (Some(f), Some(m)) => {
            s.push_str(&format!(
                "; {} of the members are women and {} men",
                format::percent(f),
                format::percent(m)
            ));
            if body.gender_not_recorded > 0 {
                s.push_str(&format!(
                    " ({} not recorded)",
                    format::count(body.gender_not_recorded as i64)
                ));
            }
        }
        _ => s.push_str("; the members' gender is not recorded"),
    }
    s.push('.');
    s
}

/// Governance: the membership of each body and the year's work of its sub-groups.
pub(super) fn governance(b: &mut Builder, r: &Report) {
    if b.unavailable(&r.part3.board, "the governance register") {
        return;
    }
    let Some(reg) = r.part3.board.data().and_then(|d| d.register.as_ref()) else {
        return;
    };
    if reg.bodies.is_empty() {
        return;
    }
    let mut sentences: Vec<String> = reg
        .bodies
        .iter()
        .filter(|x| x.kind == "board")
        .map(membership_sentence)
        .collect();
    for f in reg.bodies.iter().filter(|x| x.kind == "forum") {
        sentences.push(format!(
            "The {} has {}.",
            f.name,
            plural(f.seats, "member", "members")
        ));
    }
    let groups = reg
        .bodies
        .iter()
        .filter(|x| x.kind == "executive" || x.kind == "sub_group")
        .count();
    if groups > 0 {
        sentences.push(format!(
            "The board's work is carried by {}.",
            plural(
                groups as u32,
                "executive group or sub-group",
                "executive and sub-groups"
            )
        ));
    }
    b.nodes.push(Node::List(sentences));
    b.nodes.push(Node::Table(Table {
        caption: format!("The board and its groups, {}", r.year_label),
        headers: [
            "Body",
            "Kind",
            "Chaired by",
            "Members",
            "Agencies",
            "Lay members",
            "Women",
        ]
        .map(String::from)
        .to_vec(),
        rows: reg
            .bodies
            .iter()
            .map(|x| {
                vec![
                    Cell::from(x.name.clone()),
                    kind_word(&x.kind).into(),
                    if x.chaired_by.is_empty() {
                        "–".into()
                    } else {
                        x.chaired_by.clone().into()
                    },
                    format::count(x.seats as i64).into(),
                    format::count(x.agencies as i64).into(),
                    format::count(x.lay_members as i64).into(),
                    pct(x.female_pct).into(),
                ]
            })
            .collect(),
    }));
    let with_work: Vec<&BodyLine> = reg.bodies.iter().filter(|x| !x.work.is_empty()).collect();
    if !with_work.is_empty() {
        b.h(4, "The year's work of the board's groups");
        for x in with_work {
            let chair = if x.chaired_by.is_empty() {
                String::new()
            } else {
                format!(" (chaired by {})", x.chaired_by)
            };
            b.md(format!("**{}**{chair}:", x.name));
            b.nodes.push(Node::List(x.work.clone()));
        }
    }
}

/// A plan line's rating ("green", "amber", "red") as the report's RAG cell.
fn rag_word(rating: Option<&str>) -> Cell {
    super::rag_cell(match rating {
        Some("green") => Some(Rag::Green),
        Some("amber") => Some(Rag::Amber),
        Some("red") => Some(Rag::Red),
        _ => None,
    })
}

fn plan_row(l: &PlanLine, title: String) -> Vec<Cell> {
    vec![
        Cell::from(title),
        format::count(l.actions as i64).into(),
        format::count(l.green as i64).into(),
        format::count(l.amber as i64).into(),
        format::count(l.red as i64).into(),
        pct(l.completed_pct).into(),
        rag_word(l.rating.as_deref()),
    ]
}

/// The plan's progress sentence: "Of the 174 actions of the plan, 10 (6%) were completed,
/// 150 were in progress and 14 were overdue on 31 March 2016."
fn plan_sentence(p: &PlanProgress) -> String {
    let o = &p.overall;
    let mut s = format!(
        "Of the {} of the plan, {} ({}) {} completed, {} in progress and {} overdue on {}.",
        plural(o.actions, "action", "actions"),
        format::count(o.green as i64),
        pct(o.completed_pct),
        if o.green == 1 { "was" } else { "were" },
        format::count(o.amber as i64),
        format::count(o.red as i64),
        long_date(&p.as_of)
    );
    if o.not_accepted > 0 {
        s.push_str(&format!(
            " {} not accepted.",
            plural(o.not_accepted, "action was", "actions were")
        ));
    }
    let mut best: Vec<&PlanLine> = p.priorities.iter().filter(|x| x.actions > 0).collect();
    best.sort_by_key(|x| std::cmp::Reverse(x.completed_pct));
    if best.len() > 1
        && let (Some(hi), Some(lo)) = (best.first(), best.last())
        && hi.completed_pct != lo.completed_pct
    {
        s.push_str(&format!(
            " {} had the most of its actions completed ({}), {} the fewest ({}).",
            hi.title,
            pct(hi.completed_pct),
            lo.title,
            pct(lo.completed_pct)
        ));
    }
    s
}

/// Business plan progress per priority, with its objectives (figure 30). Returns whether
/// the plan is recorded (the action list then goes to an appendix).
pub(super) fn plan(b: &mut Builder, r: &Report) -> bool {
    let Some(p) = r.part3.board.data().and_then(|d| d.plan.as_ref()) else {
        return false;
    };
    if p.priorities.is_empty() {
        return false;
    }
    b.md(plan_sentence(p));
    let title = format!("Business plan progress by priority, {}", r.year_label);
    b.chart(
        title.clone(),
        format!(
            "Bar chart of the share of each priority's actions completed by {}: {}.",
            long_date(&p.as_of),
            p.priorities
                .iter()
                .map(|x| format!("{} {}", x.title, pct(x.completed_pct)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ChartKind::Bar {
            bars: p
                .priorities
                .iter()
                .map(|x| {
                    (
                        x.title.clone(),
                        x.completed_pct.map(super::to_f64).unwrap_or_default(),
                    )
                })
                .collect(),
        },
        Table {
            caption: format!("Data for the chart: {title}"),
            headers: ["Priority", "Completed"].map(String::from).to_vec(),
            rows: p
                .priorities
                .iter()
                .map(|x| vec![Cell::from(x.title.clone()), pct(x.completed_pct).into()])
                .collect(),
        },
    );
    b.chart_axes(Unit::Percent, "Priority", None);
    let mut rows = vec![];
    for x in &p.priorities {
        rows.push(plan_row(x, x.title.clone()));
        for o in &x.objectives {
            rows.push(plan_row(o, format!("  – {}", o.title)));
        }
    }
    rows.push(plan_row(&p.overall, "Whole plan".into()));
    b.nodes.push(Node::Table(Table {
        caption: format!(
            "Progress of the business plan's priorities and objectives on {}",
            long_date(&p.as_of)
        ),
        headers: [
            "Priority / objective",
            "Actions",
            "Completed",
            "In progress",
            "Overdue",
            "Completed share",
            "Rating",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }));
    if p.unplanned > 0 {
        b.md(format!(
            "{} from audits, inspections and reviews {} outside the plan's objectives.",
            plural(p.unplanned, "action", "actions"),
            if p.unplanned == 1 { "sits" } else { "sit" }
        ));
    }
    true
}

/// The child death reviews of the year: aggregate figures only.
pub(super) fn child_deaths(b: &mut Builder, r: &Report) {
    let Some(c) = r.part3.board.data().and_then(|d| d.child_deaths.as_ref()) else {
        return;
    };
    b.h(4, "Child Death Overview Panel");
    b.md(cdop_sentence(c));
    if !c.by_category.is_empty() {
        let title = "Child deaths reviewed by category".to_string();
        let largest = c.by_category.iter().max_by_key(|x| x.count);
        b.chart(
            title.clone(),
            format!(
                "Bar chart of the {} deaths reviewed across {} categories{}.",
                format::count(c.reviewed as i64),
                c.by_category.len(),
                largest
                    .map(|x| format!("; the largest is {} with {}", x.label, x.count))
                    .unwrap_or_default()
            ),
            ChartKind::Bar {
                bars: c
                    .by_category
                    .iter()
                    .map(|x| (x.label.clone(), x.count as f64))
                    .collect(),
            },
            Table {
                caption: format!("Data for the chart: {title}"),
                headers: ["Category", "Deaths reviewed"].map(String::from).to_vec(),
                rows: c
                    .by_category
                    .iter()
                    .map(|x| {
                        vec![
                            Cell::from(x.label.clone()),
                            format::count(x.count as i64).into(),
                        ]
                    })
                    .collect(),
            },
        );
        b.chart_axes(Unit::Count, "Category", None);
    }
    if !c.modifiable_factors.is_empty() {
        b.nodes.push(Node::Table(Table {
            caption: "Modifiable factors identified in the reviews".into(),
            headers: ["Factor", "Reviews"].map(String::from).to_vec(),
            rows: c
                .modifiable_factors
                .iter()
                .map(|x| {
                    vec![
                        Cell::from(x.label.clone()),
                        format::count(x.count as i64).into(),
                    ]
                })
                .collect(),
        }));
    }
    if !c.themes.is_empty() {
        b.md("The emerging themes from the reviews:");
        b.nodes.push(Node::List(c.themes.clone()));
    }
    if !c.actions.is_empty() {
        b.md("What the panel and the board did:");
        b.nodes.push(Node::List(c.actions.clone()));
    }
}

fn cdop_sentence(c: &ChildDeaths) -> String {
    let mut s = format!(
        "The Child Death Overview Panel reviewed {} that occurred between {} and {}.",
        plural(c.reviewed, "death", "deaths"),
        long_date(&c.deaths_from),
        long_date(&c.deaths_to)
    );
    if c.reviewed > 0 {
        s.push_str(&format!(
            " Modifiable factors were identified in {} of the reviews ({}).",
            format::count(c.with_modifiable_factors as i64),
            pct(c.modifiable_pct)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::board::CountLine;
    use rust_decimal::Decimal;

    #[test]
    fn the_membership_sentence_is_counted_from_the_seats() {
        let body = BodyLine {
            name: "Board".into(),
            kind: "board".into(),
            seats: 53,
            agencies: 31,
            lay_members: 2,
            female: 29,
            male: 24,
            female_pct: Some(Decimal::from(55)),
            male_pct: Some(Decimal::from(45)),
            ..Default::default()
        };
        assert_eq!(
            membership_sentence(&body),
            "The Board has 53 members from 31 agencies, including 2 lay members; 55% of the members are women and 45% men."
        );
        let one = BodyLine {
            name: "Forum".into(),
            seats: 1,
            agencies: 1,
            ..Default::default()
        };
        assert_eq!(
            membership_sentence(&one),
            "The Forum has 1 member from 1 agency; the members' gender is not recorded."
        );
    }

    #[test]
    fn the_plan_sentence_names_the_priorities_furthest_apart() {
        let line = |title: &str, actions, green, pct: i64| PlanLine {
            title: title.into(),
            actions,
            green,
            amber: actions - green,
            completed_pct: Some(Decimal::from(pct)),
            ..Default::default()
        };
        let p = PlanProgress {
            as_of: "2016-03-31".into(),
            priorities: vec![line("Early Help", 10, 5, 50), line("Voice", 20, 2, 10)],
            overall: PlanLine {
                red: 3,
                amber: 20,
                ..line("", 30, 7, 23)
            },
            unplanned: 0,
        };
        assert_eq!(
            plan_sentence(&p),
            "Of the 30 actions of the plan, 7 (23%) were completed, 20 in progress and 3 overdue on 31 March 2016. Early Help had the most of its actions completed (50%), Voice the fewest (10%)."
        );
    }

    #[test]
    fn the_child_death_sentence_gives_the_period_and_modifiable_share() {
        let c = ChildDeaths {
            deaths_from: "2014-04-01".into(),
            deaths_to: "2015-03-31".into(),
            reviewed: 165,
            with_modifiable_factors: 33,
            modifiable_pct: Some(Decimal::from(20)),
            by_category: vec![CountLine {
                label: "Malignancy".into(),
                count: 9,
            }],
            ..Default::default()
        };
        assert_eq!(
            cdop_sentence(&c),
            "The Child Death Overview Panel reviewed 165 deaths that occurred between 1 April 2014 and 31 March 2015. Modifiable factors were identified in 33 of the reviews (20%)."
        );
    }
}
