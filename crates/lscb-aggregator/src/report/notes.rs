//! Notes said once per table rather than once per line: the generated sentences of a figure
//! table end "…; there is no figure for the previous year to compare with." for every figure
//! without one; the report says that once, naming the figures.

/// How the figure sentences end when there is no previous year.
const NO_PREVIOUS: &str = "; there is no figure for the previous year to compare with.";

/// The sentences without the repeated ending, and the one note that replaces it.
pub fn no_previous_once(sentences: &[(String, String)]) -> (Vec<String>, Option<String>) {
    let mut names = vec![];
    let out: Vec<String> = sentences
        .iter()
        .map(|(name, s)| match s.strip_suffix(NO_PREVIOUS) {
            Some(head) => {
                names.push(name.as_str());
                format!("{head}.")
            }
            None => s.clone(),
        })
        .collect();
    let note = match names.len() {
        0 => None,
        n if n == sentences.len() && n > 1 => Some(
            "There is no figure for the previous year to compare with for any of these indicators."
                .to_string(),
        ),
        1 => Some(format!(
            "There is no figure for the previous year to compare with for {}.",
            names[0]
        )),
        _ => {
            let (last, rest) = names.split_last().expect("two or more names");
            Some(format!(
                "There is no figure for the previous year to compare with for {} and {last}.",
                rest.join(", ")
            ))
        }
    };
    (out, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, text: &str) -> (String, String) {
        (name.to_string(), text.to_string())
    }

    #[test]
    fn the_missing_previous_year_is_said_once() {
        let (out, note) = no_previous_once(&[
            s(
                "Referrals",
                "There were 13,013 referrals; there is no figure for the previous year to compare with.",
            ),
            s(
                "Crimes",
                "There were 2,031 crimes, 34% more than the previous year (1,517).",
            ),
            s(
                "Centres",
                "There were 73 children's centres; there is no figure for the previous year to compare with.",
            ),
        ]);
        assert_eq!(
            out,
            vec![
                "There were 13,013 referrals.",
                "There were 2,031 crimes, 34% more than the previous year (1,517).",
                "There were 73 children's centres.",
            ]
        );
        assert_eq!(
            note.as_deref(),
            Some(
                "There is no figure for the previous year to compare with for Referrals and Centres."
            )
        );
    }

    #[test]
    fn all_or_none_missing() {
        let all = [
            s(
                "A",
                "A was 1; there is no figure for the previous year to compare with.",
            ),
            s(
                "B",
                "B was 2; there is no figure for the previous year to compare with.",
            ),
        ];
        let (_, note) = no_previous_once(&all);
        assert!(note.unwrap().ends_with("for any of these indicators."));
        let (out, note) = no_previous_once(&[s("A", "A was 1, 2 more than the previous year.")]);
        assert_eq!(note, None);
        assert_eq!(out, vec!["A was 1, 2 more than the previous year."]);
    }
}
