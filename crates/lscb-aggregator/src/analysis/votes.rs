//! One fact, one vote: every reading of one subject (an indicator read against its target,
//! its trend and England; an audit programme; an agency's returns, attendance and
//! contribution) under one key question makes a single item of evidence. The strongest
//! reading is shown and counted; the others are listed under it (`Evidence::also`) and not
//! counted again.
//!
//! Which way the subject's vote goes: the stance carrying more of the readings' weight; on a
//! tie, the stance of the highest-ranked reading (the board's own target first, then
//! England, then the trend, then statistical neighbours). Its weight is that of the
//! strongest reading with that stance.

use super::domain::{Evidence, Stance};

/// How telling a reading is, most telling first.
fn rank(rule: &str) -> u8 {
    match rule {
        "indicator_rag" | "statutory_returns" | "audit_quality" | "finance_deficit" => 0,
        "indicator_benchmark_england" | "context" => 1,
        "indicator_direction" => 2,
        "indicator_benchmark_neighbours" => 3,
        _ => 1,
    }
}

/// Groups `items` by (question, subject), in order of first appearance.
pub fn one_vote_per_subject(items: Vec<Evidence>) -> Vec<Evidence> {
    let mut groups: Vec<Vec<Evidence>> = vec![];
    for e in items {
        match groups
            .iter_mut()
            .find(|g| g[0].question == e.question && g[0].subject == e.subject)
        {
            Some(g) => g.push(e),
            None => groups.push(vec![e]),
        }
    }
    groups.into_iter().map(vote).collect()
}

fn vote(mut g: Vec<Evidence>) -> Evidence {
    g.sort_by_key(|e| (rank(&e.rule), std::cmp::Reverse(e.weight)));
    let weight_of =
        |s: Stance| -> u32 { g.iter().filter(|e| e.stance == s).map(|e| e.weight).sum() };
    let (wf, wa) = (weight_of(Stance::For), weight_of(Stance::Against));
    let stance = if wf > wa {
        Stance::For
    } else if wa > wf {
        Stance::Against
    } else {
        g[0].stance
    };
    let head_at = g.iter().position(|e| e.stance == stance).unwrap_or(0);
    let mut head = g.remove(head_at);
    head.also = g;
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::facts::SourceRef;
    use crate::analysis::rules::{QuestionKey, Yardstick};

    fn ev(rule: &str, subject: &str, stance: Stance, weight: u32) -> Evidence {
        Evidence {
            id: format!("{rule}:{subject}"),
            question: QuestionKey::Safer,
            rule: rule.into(),
            stance,
            reason: rule.into(),
            weight,
            yardstick: Yardstick::Both,
            source: SourceRef::default(),
            subject: subject.into(),
            also: vec![],
        }
    }

    #[test]
    fn three_readings_of_one_indicator_are_one_vote() {
        let out = one_vote_per_subject(vec![
            ev("indicator_direction", "i/A", Stance::Against, 1),
            ev("indicator_rag", "i/A", Stance::Against, 1),
            ev("indicator_benchmark_england", "i/A", Stance::Against, 1),
            ev("indicator_rag", "i/B", Stance::For, 1),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].rule, "indicator_rag");
        assert_eq!(out[0].stance, Stance::Against);
        assert_eq!(out[0].weight, 1);
        assert_eq!(out[0].also.len(), 2);
        assert_eq!(out[1].subject, "i/B");
        assert!(out[1].also.is_empty());
    }

    #[test]
    fn the_weightier_stance_wins_and_a_tie_goes_to_the_target() {
        let out = one_vote_per_subject(vec![
            ev("indicator_rag", "i/A", Stance::For, 1),
            ev("indicator_direction", "i/A", Stance::Against, 1),
            ev("indicator_benchmark_england", "i/A", Stance::Against, 1),
        ]);
        assert_eq!(out[0].stance, Stance::Against);
        assert_eq!(out[0].rule, "indicator_benchmark_england");
        let tie = one_vote_per_subject(vec![
            ev("indicator_direction", "i/A", Stance::Against, 1),
            ev("indicator_rag", "i/A", Stance::For, 1),
        ]);
        assert_eq!(tie[0].stance, Stance::For);
        assert_eq!(tie[0].rule, "indicator_rag");
    }

    #[test]
    fn one_subject_under_two_questions_votes_in_each() {
        let mut b = ev("indicator_rag", "i/A", Stance::For, 1);
        b.question = QuestionKey::Impact;
        let out = one_vote_per_subject(vec![ev("indicator_rag", "i/A", Stance::For, 1), b]);
        assert_eq!(out.len(), 2);
    }
}
